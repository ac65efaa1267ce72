#include "common/schedule_proto.h"

#include "absl/strings/str_cat.h"

namespace augur {

ScheduleShape ShapeFromProto(v1::ScheduleShape shape) {
  switch (shape) {
    case v1::SCHEDULE_SHAPE_COSINE:
      return ScheduleShape::kCosine;
    case v1::SCHEDULE_SHAPE_CONSTANT:
      return ScheduleShape::kConstant;
    case v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY:
      return ScheduleShape::kWsd;
    default:
      return ScheduleShape::kLinearDecay;
  }
}

ScheduleSettings ScheduleFromProto(const v1::Schedule& schedule) {
  ScheduleSettings s;
  s.shape = ShapeFromProto(schedule.shape());
  if (schedule.warmup_fraction() > 0) s.warmup_fraction = schedule.warmup_fraction();
  if (schedule.decay_fraction() > 0) s.decay_fraction = schedule.decay_fraction();
  s.final_lr_fraction = schedule.final_lr_fraction();
  return s;
}

absl::StatusOr<v1::ScheduleShape> ShapeToProto(ScheduleShape shape) {
  switch (shape) {
    case ScheduleShape::kLinearDecay:
      return v1::SCHEDULE_SHAPE_LINEAR_DECAY;
    case ScheduleShape::kCosine:
      return v1::SCHEDULE_SHAPE_COSINE;
    case ScheduleShape::kConstant:
      return v1::SCHEDULE_SHAPE_CONSTANT;
    case ScheduleShape::kWsd:
      return v1::SCHEDULE_SHAPE_WARMUP_STABLE_DECAY;
    case ScheduleShape::kTabulated:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("schedule shape '", ScheduleShapeName(shape),
                                                 "' has no augur.v1.ScheduleShape value"));
}

}  // namespace augur
