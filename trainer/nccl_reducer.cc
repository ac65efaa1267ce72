#include "trainer/nccl_reducer.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "trainer/atomic_file.h"

namespace augur::trainer {
namespace {

class NcclReducer : public GradientReducer {
 public:
  NcclReducer(ncclComm_t comm, int rank, int world) : comm_(comm), rank_(rank), world_(world) {}
  ~NcclReducer() override { ncclCommDestroy(comm_); }
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }

  absl::Status AllReduceMean(float* data, int64_t count) override {
    const ncclResult_t r = ncclAllReduce(data, data, static_cast<size_t>(count), ncclFloat, ncclAvg,
                                         comm_, /*stream=*/0);
    if (r != ncclSuccess) {
      return absl::UnavailableError(absl::StrCat("ncclAllReduce: ", ncclGetErrorString(r)));
    }
    const cudaError_t e = cudaStreamSynchronize(0);
    if (e != cudaSuccess) {
      return absl::UnavailableError(absl::StrCat("cudaStreamSynchronize: ", cudaGetErrorString(e)));
    }
    return absl::OkStatus();
  }

 private:
  ncclComm_t comm_;
  int rank_;
  int world_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GradientReducer>> MakeNcclReducer(
    int rank, int world_size, int device, const std::string& rendezvous_dir,
    std::chrono::milliseconds timeout) {
  if (cudaSetDevice(device) != cudaSuccess) {
    return absl::UnavailableError(absl::StrCat("cannot select CUDA device ", device));
  }
  std::filesystem::create_directories(rendezvous_dir);
  const std::string id_path = rendezvous_dir + "/nccl_id";
  ncclUniqueId id;
  if (rank == 0) {
    if (ncclGetUniqueId(&id) != ncclSuccess)
      return absl::UnavailableError("ncclGetUniqueId failed");
    auto status = WriteFileAtomically(id_path, [&](const ByteSink& sink) {
      return sink(&id, sizeof(id)) ? absl::OkStatus() : absl::InternalError("write nccl id");
    });
    if (!status.ok()) return status;
  } else {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::ifstream in(id_path, std::ios::binary);
      if (in && in.read(reinterpret_cast<char*>(&id), sizeof(id))) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::UnavailableError(absl::StrCat("timed out waiting for ", id_path));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ncclComm_t comm;
  const ncclResult_t r = ncclCommInitRank(&comm, world_size, id, rank);
  if (r != ncclSuccess) {
    return absl::UnavailableError(absl::StrCat("ncclCommInitRank: ", ncclGetErrorString(r)));
  }
  return std::unique_ptr<GradientReducer>(new NcclReducer(comm, rank, world_size));
}

}  // namespace augur::trainer
