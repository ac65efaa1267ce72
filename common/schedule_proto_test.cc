#include "common/schedule_proto.h"

#include <gtest/gtest.h>

namespace augur {
namespace {

TEST(ScheduleProtoTest, EveryShapeWithAWireValueRoundTrips) {
  for (ScheduleShape shape : kAllScheduleShapes) {
    auto wire = ShapeToProto(shape);
    if (shape == ScheduleShape::kTabulated) {
      EXPECT_EQ(wire.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ASSERT_TRUE(wire.ok()) << ScheduleShapeName(shape);
    EXPECT_EQ(ShapeFromProto(*wire), shape) << ScheduleShapeName(shape);
  }
}

TEST(ScheduleProtoTest, EveryWireValueRoundTrips) {
  for (int i = v1::ScheduleShape_MIN; i <= v1::ScheduleShape_MAX; ++i) {
    const auto wire = static_cast<v1::ScheduleShape>(i);
    if (!v1::ScheduleShape_IsValid(i) || wire == v1::SCHEDULE_SHAPE_UNSPECIFIED) continue;
    auto back = ShapeToProto(ShapeFromProto(wire));
    ASSERT_TRUE(back.ok()) << v1::ScheduleShape_Name(wire);
    EXPECT_EQ(*back, wire);
  }
}

TEST(ScheduleProtoTest, WireValuesKeepTheirNumbersAndMeaning) {
  EXPECT_EQ(*ShapeToProto(ScheduleShape::kLinearDecay), v1::SCHEDULE_SHAPE_LINEAR_DECAY);
  EXPECT_EQ(*ShapeToProto(ScheduleShape::kCosine), v1::SCHEDULE_SHAPE_COSINE);
  EXPECT_EQ(*ShapeToProto(ScheduleShape::kConstant), v1::SCHEDULE_SHAPE_CONSTANT);
  EXPECT_EQ(*ShapeToProto(ScheduleShape::kWsd), v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY);
  EXPECT_EQ(v1::SCHEDULE_SHAPE_LINEAR_DECAY, 1);
  EXPECT_EQ(v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY, 4);
}

TEST(ScheduleProtoTest, UnspecifiedIsTheDocumentedDefault) {
  EXPECT_EQ(ShapeFromProto(v1::SCHEDULE_SHAPE_UNSPECIFIED), ScheduleShape::kLinearDecay);
}

// The trainer and the predictor read a trial's schedule through ScheduleFromProto: an unset
// (zero) warmup or decay fraction is the default in both, never 0 in one and 0.1 in the other.
TEST(ScheduleProtoTest, ScheduleFromProtoFillsProto3DefaultsOnce) {
  v1::Schedule wire;
  wire.set_shape(v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY);
  ScheduleSettings s = ScheduleFromProto(wire);
  EXPECT_EQ(s.shape, ScheduleShape::kWsd);
  EXPECT_DOUBLE_EQ(s.warmup_fraction, ScheduleSettings{}.warmup_fraction);
  EXPECT_DOUBLE_EQ(s.decay_fraction, ScheduleSettings{}.decay_fraction);
  EXPECT_DOUBLE_EQ(s.final_lr_fraction, 0.0);
  wire.set_warmup_fraction(0.05);
  wire.set_decay_fraction(0.3);
  wire.set_final_lr_fraction(0.1);
  s = ScheduleFromProto(wire);
  EXPECT_DOUBLE_EQ(s.warmup_fraction, 0.05);
  EXPECT_DOUBLE_EQ(s.decay_fraction, 0.3);
  EXPECT_DOUBLE_EQ(s.final_lr_fraction, 0.1);
}

}  // namespace
}  // namespace augur
