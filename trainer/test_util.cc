#include "trainer/test_util.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "trainer/atomic_file.h"
#include "trainer/data.h"

namespace augur::trainer {

std::string CorpusSlicePath(size_t bytes) {
  const auto tmp = std::filesystem::temp_directory_path();
  auto corpus = DefaultCorpusPath(tmp.string());
  if (!corpus.ok()) return "";
  // Shared by all test processes of this user; written atomically so parallel tests agree.
  const std::string path =
      (tmp / ("augur_corpus_slice_" + std::to_string(bytes) + "_" + std::to_string(::getuid())))
          .string();
  if (!std::filesystem::exists(path)) {
    std::ifstream in(*corpus, std::ios::binary);
    std::vector<char> buf(bytes);
    in.read(buf.data(), static_cast<std::streamsize>(bytes));
    const size_t n = static_cast<size_t>(in.gcount());
    const absl::Status s = WriteFileAtomically(path, [&](const ByteSink& sink) {
      return sink(buf.data(), n) ? absl::OkStatus() : absl::InternalError("write failed");
    });
    if (!s.ok()) return "";
  }
  return path;
}

TrialSpec TinyTrial(const std::string& data_path) {
  TrialSpec s;
  s.run_id = "tiny";
  s.shape = {.width = 32, .depth = 2, .heads = 2, .context_tokens = 64};
  s.base_width = 32;
  s.data.path = data_path;
  s.data.validation_fraction = 0.05;
  s.data.data_seed = 1;
  s.optimizer.peak_lr = 1e-2;
  s.optimizer.weight_decay = 0.1;
  s.batch_sequences = 8;
  s.total_steps = 40;
  s.eval_sequences = 8;
  s.cpu_threads = 1;
  return s;
}

}  // namespace augur::trainer
