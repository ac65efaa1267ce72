#include "common/checkpoint_retention.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace augur {
namespace {

namespace fs = std::filesystem;

// The step of a `step-%010d.ckpt` name; nullopt for any other file.
std::optional<int64_t> StepOf(const fs::path& p) {
  if (p.extension() != ".ckpt") return std::nullopt;
  absl::string_view stem = p.stem().native();
  if (!absl::ConsumePrefix(&stem, "step-")) return std::nullopt;
  int64_t step = 0;
  if (!absl::SimpleAtoi(stem, &step)) return std::nullopt;
  return step;
}

}  // namespace

absl::Status WriteCommittedStep(const std::string& dir, int64_t step) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path target = fs::path(dir) / kCommittedCheckpointFile;
  const fs::path tmp = fs::path(dir) / absl::StrCat(kCommittedCheckpointFile, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << step << "\n";
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", tmp.string()));
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp.string(), " to ", target.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::optional<int64_t> ReadCommittedStep(const std::string& dir) {
  std::ifstream in(fs::path(dir) / kCommittedCheckpointFile);
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  int64_t step = 0;
  if (!absl::SimpleAtoi(text, &step) || step < 0) return std::nullopt;
  return step;
}

int PruneCheckpoints(const std::string& dir, int keep) {
  std::error_code ec;
  std::vector<std::pair<int64_t, fs::path>> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (auto step = StepOf(e.path())) files.emplace_back(*step, e.path());
  }
  std::sort(files.begin(), files.end());
  const std::optional<int64_t> committed = ReadCommittedStep(dir);
  int deleted = 0;
  for (size_t i = 0; i + std::max(0, keep) < files.size(); ++i) {
    // The store resumes from the committed step: it and everything newer stay.
    if (committed && files[i].first >= *committed) break;
    if (fs::remove(files[i].second, ec)) ++deleted;
  }
  return deleted;
}

}  // namespace augur
