#include "trainer/data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "trainer/atomic_file.h"
#include "trainer/rng.h"

namespace augur::trainer {

absl::StatusOr<std::unique_ptr<TokenDataset>> TokenDataset::Open(const DataConfig& config,
                                                                 int64_t context_tokens) {
  const std::string& path = config.path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("cannot open data ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("data ", path, " is empty or unreadable"));
  }
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) {
    return absl::InternalError(absl::StrCat("cannot mmap ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<TokenDataset> ds(new TokenDataset());
  ds->map_ = map;
  ds->map_bytes_ = static_cast<size_t>(st.st_size);
  ds->context_ = context_tokens;
  if (config.format == DataFormat::kTextBytes) {
    ds->bytes_ = static_cast<const uint8_t*>(map);
    ds->total_tokens_ = st.st_size;
    ds->format_vocab_ = 256;
  } else {
    const size_t header_bytes = kShardHeaderInts * sizeof(int32_t);
    if (ds->map_bytes_ < header_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard ", path, " is shorter than its header"));
    }
    int32_t header[kShardHeaderInts];
    std::memcpy(header, map, header_bytes);
    if (header[0] != kShardMagic || header[1] != kShardVersion) {
      return absl::InvalidArgumentError(absl::StrCat("shard ", path, " has magic ", header[0],
                                                     " version ", header[1], ", expected ",
                                                     kShardMagic, " version ", kShardVersion));
    }
    const int64_t count = header[2];
    if (count < 0 || header_bytes + static_cast<size_t>(count) * 2 > ds->map_bytes_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shard ", path, " declares ", count, " tokens but is ", ds->map_bytes_, " bytes long"));
    }
    ds->shorts_ = reinterpret_cast<const uint16_t*>(static_cast<const char*>(map) + header_bytes);
    ds->total_tokens_ = count;
    ds->format_vocab_ = 65536;
  }
  const int64_t val =
      static_cast<int64_t>(config.validation_fraction * static_cast<double>(ds->total_tokens_));
  ds->train_tokens_ = ds->total_tokens_ - val;
  if (val < context_tokens + 1 || ds->train_tokens_ < context_tokens + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data ", path, " has ", ds->total_tokens_, " tokens: too few for train and validation (",
        val, " held out) sequences of ", context_tokens + 1, " tokens"));
  }
  return ds;
}

TokenDataset::~TokenDataset() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
}

int64_t TokenDataset::TokenAt(int64_t i) const {
  return bytes_ != nullptr ? bytes_[i] : shorts_[i];
}

void TokenDataset::Copy(int64_t start, int64_t n, int64_t* out) const {
  for (int64_t i = 0; i < n; ++i) out[i] = TokenAt(start + i);
}

void TokenDataset::TrainSequence(uint64_t data_seed, int64_t step, int64_t index, int64_t context,
                                 int64_t* out) const {
  const uint64_t span = static_cast<uint64_t>(train_tokens_ - context);  // Valid starts.
  const uint64_t h = Hash3(data_seed, static_cast<uint64_t>(step), static_cast<uint64_t>(index));
  Copy(static_cast<int64_t>(h % span), context + 1, out);
}

void TokenDataset::ValSequence(int64_t index, int64_t count, int64_t context, int64_t* out) const {
  const int64_t span = val_tokens() - (context + 1);  // Last valid start, relative.
  const int64_t start = count > 1 ? index * span / (count - 1) : 0;
  Copy(train_tokens_ + start, context + 1, out);
}

absl::Status WriteUint16Shard(const std::string& path, const uint16_t* tokens, int64_t count) {
  return WriteFileAtomically(path, [&](const ByteSink& sink) -> absl::Status {
    int32_t header[kShardHeaderInts] = {};
    header[0] = kShardMagic;
    header[1] = kShardVersion;
    header[2] = static_cast<int32_t>(count);
    if (!sink(header, sizeof(header)) || !sink(tokens, static_cast<size_t>(count) * 2)) {
      return absl::InternalError(absl::StrCat("cannot write shard ", path));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> DefaultCorpusPath(const std::string& cache_dir) {
  if (const char* env = std::getenv("AUGUR_CORPUS"); env != nullptr && *env != '\0') return env;
  std::string dir = cache_dir;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  const std::string path = absl::StrCat(dir, "/augur-kjv-", ::getuid(), ".txt");
  if (std::filesystem::exists(path)) return path;
  constexpr const char* kBible = "/usr/bin/bible";
  if (!std::filesystem::exists(kBible) || !std::filesystem::exists("/usr/lib/bible.data")) {
    return absl::NotFoundError(
        "no corpus: set data.path or $AUGUR_CORPUS, or install Debian's bible-kjv and "
        "bible-kjv-text packages (the default corpus)");
  }
  // `bible -f` prints one verse per line as "Ge1:1 In the beginning ...": keep the text only.
  FILE* pipe = ::popen("/usr/bin/bible -f gen1:1-rev22:21", "r");
  if (pipe == nullptr) return absl::InternalError("cannot run /usr/bin/bible");
  std::string text;
  char line[8192];
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    const char* p = std::strchr(line, ' ');
    text += p != nullptr ? p + 1 : line;
  }
  if (::pclose(pipe) != 0 || text.size() < 1000000) {
    return absl::InternalError("extracting the KJV text with /usr/bin/bible failed");
  }
  RETURN_IF_ERROR(WriteFileAtomically(path, [&](const ByteSink& sink) -> absl::Status {
    return sink(text.data(), text.size()) ? absl::OkStatus() : absl::InternalError("write failed");
  }));
  return path;
}

}  // namespace augur::trainer
