#include "trainer/checkpoint.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "trainer/atomic_file.h"

namespace augur::trainer {
namespace {

constexpr char kMagic[8] = {'A', 'U', 'G', 'U', 'R', 'C', 'K', 'P'};

uint64_t Fnv1a(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  bool Raw(void* out, size_t n) {
    if (pos_ + n > bytes_.size()) return false;
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool Pod(T* out) {
    return Raw(out, sizeof(T));
  }
  bool String(std::string* out) {
    int64_t n = 0;
    if (!Pod(&n) || n < 0 || pos_ + static_cast<size_t>(n) > bytes_.size()) return false;
    out->assign(bytes_.data() + pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool Floats(std::vector<float>* out) {
    int64_t n = 0;
    if (!Pod(&n) || n < 0 || pos_ + static_cast<size_t>(n) * 4 > bytes_.size()) return false;
    out->resize(static_cast<size_t>(n));
    return Raw(out->data(), static_cast<size_t>(n) * 4);
  }
  size_t pos() const { return pos_; }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

}  // namespace

absl::Status WriteCheckpoint(const std::string& path, const CheckpointView& v) {
  return WriteFileAtomically(path, [&](const ByteSink& sink) -> absl::Status {
    uint64_t h = kFnvOffset;
    bool ok = true;
    auto put = [&](const void* data, size_t n) {
      h = Fnv1a(h, data, n);
      ok = ok && sink(data, n);
    };
    auto put_i64 = [&](int64_t x) { put(&x, sizeof(x)); };
    auto put_floats = [&](std::span<const float> f) {
      put_i64(static_cast<int64_t>(f.size()));
      put(f.data(), f.size() * sizeof(float));
    };
    put(kMagic, sizeof(kMagic));
    const uint32_t version = kCheckpointFormatVersion;
    put(&version, sizeof(version));
    put_i64(static_cast<int64_t>(v.fingerprint->size()));
    put(v.fingerprint->data(), v.fingerprint->size());
    put_i64(v.step);
    put_i64(v.tokens);
    put(&v.seed, sizeof(v.seed));
    put(&v.data_seed, sizeof(v.data_seed));
    put(&v.last_val_loss, sizeof(v.last_val_loss));
    put_floats(v.params);
    put_floats(v.adam_m);
    put_floats(v.adam_v);
    const uint64_t checksum = h;
    ok = ok && sink(&checksum, sizeof(checksum));
    return ok ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot write ", path));
  });
}

absl::StatusOr<CheckpointState> ReadCheckpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open checkpoint ", path, ": ", std::strerror(errno)));
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("checkpoint ", path, " is corrupt: ", why));
  };
  if (bytes.size() < sizeof(kMagic) + 4 + 8) return corrupt("too short");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return corrupt("bad magic");
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (Fnv1a(kFnvOffset, bytes.data(), bytes.size() - 8) != stored) return corrupt("bad checksum");
  Reader r(bytes);
  char magic[8];
  uint32_t version = 0;
  r.Raw(magic, 8);
  r.Pod(&version);
  if (version != kCheckpointFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("checkpoint ", path, " has format version ",
                                                      version, ", this trainer reads ",
                                                      kCheckpointFormatVersion));
  }
  CheckpointState s;
  const bool ok = r.String(&s.fingerprint) && r.Pod(&s.step) && r.Pod(&s.tokens) &&
                  r.Pod(&s.seed) && r.Pod(&s.data_seed) && r.Pod(&s.last_val_loss) &&
                  r.Floats(&s.params) && r.Floats(&s.adam_m) && r.Floats(&s.adam_v) &&
                  r.pos() + 8 == bytes.size();
  if (!ok) return corrupt("truncated fields");
  return s;
}

}  // namespace augur::trainer
