// ProbeGpus for builds without CUDA.
#include "worker/devices.h"

namespace augur {

GpuProbe ProbeGpus() {
  GpuProbe probe;
  probe.note = "built without CUDA";
  return probe;
}

}  // namespace augur
