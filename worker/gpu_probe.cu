// ProbeGpus for CUDA builds: enumerates devices and checks each with a vector-add kernel, so
// a GPU with a broken driver or ECC state is not offered to trials.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "worker/devices.h"

namespace augur {
namespace {

__global__ void AddKernel(const float* a, const float* b, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

// Runs out = a + b on `device` for 4096 elements and compares with the host's sums.
bool SelfTest(int device) {
  constexpr int kN = 4096;
  if (cudaSetDevice(device) != cudaSuccess) return false;
  std::vector<float> a(kN), b(kN), out(kN, 0.0f);
  for (int i = 0; i < kN; ++i) {
    a[i] = static_cast<float>(i);
    b[i] = 0.5f * static_cast<float>(kN - i);
  }
  float *da = nullptr, *db = nullptr, *dout = nullptr;
  bool ok = cudaMalloc(&da, kN * sizeof(float)) == cudaSuccess &&
            cudaMalloc(&db, kN * sizeof(float)) == cudaSuccess &&
            cudaMalloc(&dout, kN * sizeof(float)) == cudaSuccess &&
            cudaMemcpy(da, a.data(), kN * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess &&
            cudaMemcpy(db, b.data(), kN * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess;
  if (ok) {
    AddKernel<<<(kN + 255) / 256, 256>>>(da, db, dout, kN);
    ok = cudaGetLastError() == cudaSuccess &&
         cudaMemcpy(out.data(), dout, kN * sizeof(float), cudaMemcpyDeviceToHost) ==
             cudaSuccess;
  }
  for (int i = 0; ok && i < kN; ++i) ok = out[i] == a[i] + b[i];
  cudaFree(da);
  cudaFree(db);
  cudaFree(dout);
  return ok;
}

}  // namespace

GpuProbe ProbeGpus() {
  GpuProbe probe;
  probe.built_with_cuda = true;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    probe.note = std::string("CUDA runtime: ") + cudaGetErrorString(err);
    cudaGetLastError();  // Clear the sticky error so later calls start clean.
    return probe;
  }
  if (count == 0) probe.note = "CUDA runtime found no device";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    GpuInfo info;
    info.index = i;
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) {
      info.name = prop.name;
      info.memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    }
    info.self_test_passed = SelfTest(i);
    probe.gpus.push_back(info);
  }
  return probe;
}

}  // namespace augur
