#include "util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <cstring>

namespace schemagate {
namespace {

Error system_error(int err) { return internal_error(std::strerror(err)); }

// Why a file that is not a regular one is not read, worded as the system's reasons are.
Error not_regular(mode_t mode) {
  if (S_ISDIR(mode)) return system_error(EISDIR);
  std::string kind = S_ISFIFO(mode)   ? "a FIFO"
                     : S_ISSOCK(mode) ? "a socket"
                     : S_ISCHR(mode)  ? "a character device"
                     : S_ISBLK(mode)  ? "a block device"
                                      : "an unknown kind of file";
  return internal_error(kind + ", not a regular file");
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO waits for a writer, forever; this way it opens at once and is
  // refused below, before anything reads it. A regular file's reads never block anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return system_error(errno);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return system_error(err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return not_regular(st.st_mode);
  }
  std::string out;
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return system_error(err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status create_file(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return system_error(errno);
  bool ok = write_all(fd, text);
  int err = errno;
  if (::close(fd) != 0 && ok) return system_error(errno);
  if (!ok) return system_error(err);
  return {};
}

Status replace_file(const std::string& path, std::string_view text) {
  std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  ::unlink(temporary.c_str());
  if (Status made = create_file(temporary, text); !made) return made;
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temporary.c_str());
    return system_error(err);
  }
  return {};
}

void print(std::string_view text) { write_all(STDOUT_FILENO, text); }

}  // namespace schemagate
