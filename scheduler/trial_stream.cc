#include "scheduler/trial_stream.h"

#include <algorithm>
#include <utility>

namespace augur {
namespace {

class VectorStream : public TrialStream {
 public:
  explicit VectorStream(std::vector<v1::Trial> trials)
      : trials_(std::move(trials)), size_(SizeOf(trials_)) {}
  const PlannedSize& size() const override { return size_; }
  absl::Status Next(size_t max, std::vector<v1::Trial>& batch) override {
    batch.clear();
    const size_t end = std::min(trials_.size(), next_ + std::max<size_t>(1, max));
    for (; next_ < end; ++next_) batch.push_back(std::move(trials_[next_]));
    return absl::OkStatus();
  }

 private:
  std::vector<v1::Trial> trials_;
  PlannedSize size_;
  size_t next_ = 0;
};

}  // namespace

PlannedSize SizeOf(const std::vector<v1::Trial>& trials) {
  PlannedSize size;
  for (const v1::Trial& t : trials)
    size.Add(t.controls().total_steps(), t.controls().batch_tokens());
  return size;
}

std::unique_ptr<TrialStream> StreamOf(std::vector<v1::Trial> trials) {
  return std::make_unique<VectorStream>(std::move(trials));
}

}  // namespace augur
