#include "worker/devices.h"

#include "gtest/gtest.h"

namespace augur {
namespace {

GpuProbe TwoGpusOneBroken() {
  GpuProbe p;
  p.built_with_cuda = true;
  p.gpus = {{0, "NVIDIA A100", 80LL << 30, true}, {1, "NVIDIA A100", 80LL << 30, false}};
  return p;
}

TEST(Devices, OffersOnlyGpusThatPassedTheSelfTest) {
  auto inv = DiscoverDevices({}, TwoGpusOneBroken(), 64);
  ASSERT_TRUE(inv.ok()) << inv.status();
  ASSERT_EQ(inv->gpus.size(), 1u);
  EXPECT_EQ(inv->gpus[0].index, 0);
  EXPECT_EQ(inv->cpu_slots, 0);
  EXPECT_EQ(inv->description, "1x NVIDIA A100");
}

TEST(Devices, AskingForMoreGpusThanHealthyIsAnError) {
  DeviceOptions opt;
  opt.gpus = 2;
  auto inv = DiscoverDevices(opt, TwoGpusOneBroken(), 64);
  EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Devices, CpuSlotsSplitTheCores) {
  DeviceOptions opt;
  opt.gpus = 0;
  opt.threads_per_trial = 2;
  auto inv = DiscoverDevices(opt, TwoGpusOneBroken(), 8);
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->gpus.empty());
  EXPECT_EQ(inv->cpu_slots, 4);
  EXPECT_EQ(inv->threads_per_trial, 2);

  auto one = DiscoverDevices({}, GpuProbe{}, 2);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->cpu_slots, 1);
  EXPECT_EQ(one->threads_per_trial, 2);
  EXPECT_EQ(one->description, "cpu: 2 cores, 1 slot x 2 threads");
}

TEST(Devices, NegativeCountsAreRejected) {
  DeviceOptions opt;
  opt.cpu_slots = -1;
  EXPECT_FALSE(DiscoverDevices(opt, GpuProbe{}, 2).ok());
}

TEST(Devices, RealProbeNeverCrashesAndExplainsAnEmptyResult) {
  // On a machine without a GPU (CI) the probe must degrade to CPU with a reason; on a GPU
  // machine every device it lists must have a name.
  const GpuProbe probe = ProbeGpus();
  if (probe.gpus.empty()) {
    EXPECT_FALSE(probe.note.empty());
  }
  for (const GpuInfo& g : probe.gpus) EXPECT_FALSE(g.name.empty());
  auto inv = DiscoverDevices({}, probe, 2);
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(!inv->gpus.empty() || inv->cpu_slots >= 1);
}

}  // namespace
}  // namespace augur
