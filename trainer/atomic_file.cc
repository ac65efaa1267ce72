#include "trainer/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace augur::trainer {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(const ByteSink&)>& write) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  bool io_ok = true;
  ByteSink sink = [&](const void* data, size_t bytes) {
    const char* p = static_cast<const char*>(data);
    while (bytes > 0 && io_ok) {
      const ssize_t n = ::write(fd, p, bytes);
      if (n < 0) {
        if (errno == EINTR) continue;
        io_ok = false;
        break;
      }
      p += n;
      bytes -= static_cast<size_t>(n);
    }
    return io_ok;
  };
  absl::Status status = write(sink);
  if (status.ok() && !io_ok) status = Errno("cannot write", tmp);
  if (status.ok() && ::fsync(fd) != 0) status = Errno("cannot fsync", tmp);
  if (::close(fd) != 0 && status.ok()) status = Errno("cannot close", tmp);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Errno("cannot rename onto", path);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = std::filesystem::current_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // Best effort: makes the rename durable.
    ::close(dfd);
  }
  return absl::OkStatus();
}

}  // namespace augur::trainer
