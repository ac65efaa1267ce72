// Token data: byte-level UTF-8 text or pre-tokenized uint16 shards, memory-mapped, with a
// held-out validation tail and deterministic batches.
//
// Shard layout (nanoGPT/llm.c): a header of 256 little-endian int32 (magic 20240520, version 1,
// token count), then `count` uint16 tokens. Text files are tokenized as bytes (vocab 256).
//
// Training sequence `index` of step `step` starts at an offset that is a hash of
// (data_seed, step, index): batches depend on nothing else, so resumed runs and data-parallel
// ranks (which take disjoint index ranges of the global batch) see exactly the same data.
// Validation sequences are evenly spaced over the held-out tail and never change.
//
// Thread-safe after Open (read-only mapping). No LibTorch.
#ifndef AUGUR_TRAINER_DATA_H_
#define AUGUR_TRAINER_DATA_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "trainer/config.h"

namespace augur::trainer {

inline constexpr int32_t kShardMagic = 20240520;
inline constexpr int32_t kShardVersion = 1;
inline constexpr int kShardHeaderInts = 256;

class TokenDataset {
 public:
  // Maps `config.path`. Errors: NOT_FOUND (no file), INVALID_ARGUMENT (bad header, too few
  // tokens for one validation sequence of `context_tokens` + 1).
  static absl::StatusOr<std::unique_ptr<TokenDataset>> Open(const DataConfig& config,
                                                            int64_t context_tokens);
  ~TokenDataset();
  TokenDataset(const TokenDataset&) = delete;
  TokenDataset& operator=(const TokenDataset&) = delete;

  int64_t train_tokens() const { return train_tokens_; }
  int64_t val_tokens() const { return total_tokens_ - train_tokens_; }
  // Largest token id + 1 the format can hold (256 for text, 65536 for shards).
  int64_t format_vocab() const { return format_vocab_; }

  // Writes context+1 tokens of training sequence `index` of step `step` to `out`.
  void TrainSequence(uint64_t data_seed, int64_t step, int64_t index, int64_t context,
                     int64_t* out) const;
  // Writes context+1 tokens of validation sequence `index` of `count` to `out`.
  void ValSequence(int64_t index, int64_t count, int64_t context, int64_t* out) const;

 private:
  TokenDataset() = default;
  int64_t TokenAt(int64_t i) const;
  void Copy(int64_t start, int64_t n, int64_t* out) const;

  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  const uint8_t* bytes_ = nullptr;    // Text tokens.
  const uint16_t* shorts_ = nullptr;  // Shard tokens.
  int64_t total_tokens_ = 0;
  int64_t train_tokens_ = 0;
  int64_t format_vocab_ = 256;
  int64_t context_ = 0;
};

// Writes tokens as a uint16 shard (atomic: temp file, fsync, rename).
absl::Status WriteUint16Shard(const std::string& path, const uint16_t* tokens, int64_t count);

// The default corpus: $AUGUR_CORPUS if set, else the King James Bible of Debian's
// bible-kjv-text package, extracted once with /usr/bin/bible into `cache_dir` (or $TMPDIR) as
// plain UTF-8 text, one verse per line (about 4.3 MB). Errors: NOT_FOUND without the package.
absl::StatusOr<std::string> DefaultCorpusPath(const std::string& cache_dir = "");

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_DATA_H_
