#include "exec/descriptors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace schemagate::exec {

void fill_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() takes the lowest free number, which is fd once the ones below it are open. Not
    // O_CLOEXEC: the app inherits it, as it would have inherited what was there.
    int opened = ::open("/dev/null", O_RDWR);
    if (opened > fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

}  // namespace schemagate::exec
