// util/file.h: whole-file reads that never block, whatever a path names.
#include "util/file.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "../../support/files.h"

namespace schemagate {
namespace {

using testing::TempDir;

TEST_CASE("read_file reads a regular file, and a symbolic link to one") {
  TempDir dir;
  dir.write("a.sql", "select 1;\n");
  std::filesystem::create_symlink(dir.file("a.sql"), dir.file("link.sql"));
  for (const std::string name : {"a.sql", "link.sql"}) {
    CAPTURE(name);
    auto text = read_file(dir.file(name));
    REQUIRE(text);
    CHECK(*text == "select 1;\n");
  }
}

// A FIFO without a writer would block open() forever, where no signal reaches schemagate (PID 1).
TEST_CASE("read_file refuses a FIFO, a socket and a device at once, naming what it is") {
  TempDir dir;
  REQUIRE(mkfifo(dir.file("fifo").c_str(), 0644) == 0);
  std::filesystem::create_symlink(dir.file("fifo"), dir.file("to_fifo"));
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, dir.file("socket").c_str(), sizeof address.sun_path - 1);
  REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  struct Case {
    std::string path, message;
  };
  for (const Case& c :
       {Case{dir.file("fifo"), "a FIFO, not a regular file"},
        Case{dir.file("to_fifo"), "a FIFO, not a regular file"},
        Case{dir.file("socket"), "No such device or address"},
        Case{"/dev/null", "a character device, not a regular file"}, Case{dir.path(), "Is a directory"}}) {
    CAPTURE(c.path);
    auto text = read_file(c.path);
    REQUIRE_FALSE(text);
    CHECK(text.error().message == c.message);
  }
  close(sock);
}

}  // namespace
}  // namespace schemagate
