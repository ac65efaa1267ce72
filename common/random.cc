#include "common/random.h"

namespace augur {
namespace {

class OsRandom : public Random {
 public:
  uint64_t Next() override {
    absl::MutexLock lock(&mu_);
    return (static_cast<uint64_t>(device_()) << 32) ^ device_();
  }

 private:
  absl::Mutex mu_;
  std::random_device device_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

Random& SystemRandom() {
  static OsRandom* const random = new OsRandom();
  return *random;
}

}  // namespace augur
