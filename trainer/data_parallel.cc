#include "trainer/data_parallel.h"

#include <exception>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gloo/allreduce.h"
#include "gloo/math.h"
#include "gloo/rendezvous/context.h"
#include "gloo/rendezvous/file_store.h"
#include "gloo/transport/tcp/device.h"

namespace augur::trainer {
namespace {

class SingleProcessReducer : public GradientReducer {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  absl::Status AllReduceMean(float*, int64_t) override { return absl::OkStatus(); }
};

class GlooReducer : public GradientReducer {
 public:
  GlooReducer(std::shared_ptr<gloo::Context> context, std::chrono::milliseconds timeout)
      : context_(std::move(context)), timeout_(timeout) {}
  int rank() const override { return context_->rank; }
  int world_size() const override { return context_->size; }

  absl::Status AllReduceMean(float* data, int64_t count) override {
    try {
      gloo::AllreduceOptions opts(context_);
      opts.setOutput(data, static_cast<size_t>(count));
      opts.setReduceFunction(
          static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
      opts.setTag(tag_++);
      opts.setTimeout(timeout_);
      gloo::allreduce(opts);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("gloo all-reduce failed: ", e.what()));
    }
    const float inv = 1.0f / static_cast<float>(context_->size);
    for (int64_t i = 0; i < count; ++i) data[i] *= inv;
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<gloo::Context> context_;
  std::chrono::milliseconds timeout_;
  uint32_t tag_ = 0;
};

}  // namespace

std::unique_ptr<GradientReducer> MakeSingleProcessReducer() {
  return std::make_unique<SingleProcessReducer>();
}

absl::StatusOr<std::unique_ptr<GradientReducer>> MakeGlooReducer(int rank, int world_size,
                                                                 const std::string& rendezvous_dir,
                                                                 std::chrono::milliseconds timeout,
                                                                 const std::string& hostname) {
  if (world_size < 1 || rank < 0 || rank >= world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("data-parallel rank ", rank, " of world size ", world_size, " is invalid"));
  }
  try {
    std::filesystem::create_directories(rendezvous_dir);
    gloo::transport::tcp::attr attr;
    attr.hostname = hostname;
    auto device = gloo::transport::tcp::CreateDevice(attr);
    gloo::rendezvous::FileStore store(rendezvous_dir);
    auto context = std::make_shared<gloo::rendezvous::Context>(rank, world_size);
    context->setTimeout(timeout);
    context->connectFullMesh(store, device);
    return std::unique_ptr<GradientReducer>(new GlooReducer(std::move(context), timeout));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("gloo rendezvous in ", rendezvous_dir,
                                               " failed for rank ", rank, ": ", e.what()));
  }
}

}  // namespace augur::trainer
