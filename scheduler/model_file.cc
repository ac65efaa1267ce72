#include "scheduler/model_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "predictor/model.h"

namespace augur {
namespace {

absl::Status Bad(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("policy.model ", path, ": ", why));
}

}  // namespace

absl::Status EmbedModelFile(v1::StoppingPolicy& policy) {
  const std::string& path = policy.model_path();
  if (path.empty() || !policy.model_json().empty()) return absl::OkStatus();
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Bad(path, std::strerror(errno));
  struct stat st {};
  std::string text;
  absl::Status status;
  if (fstat(fd, &st) != 0) {
    status = Bad(path, std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = Bad(path, "not a regular file");
  } else if (st.st_size > kMaxModelFileBytes) {
    status = Bad(path, absl::StrCat(st.st_size, " bytes, more than a model's ", kMaxModelFileBytes,
                                    "-byte limit"));
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
  }
  close(fd);
  if (!status.ok()) return status;
  if (auto model = predictor::ModelFromJson(text); !model.ok()) {
    return Bad(path, absl::StrCat("not a fitted predictor model (", model.status().message(), ")"));
  }
  policy.set_model_json(std::move(text));
  return absl::OkStatus();
}

}  // namespace augur
