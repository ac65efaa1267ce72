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

}  // namespace
}  // namespace augur
