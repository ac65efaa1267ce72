// Conversions between augur::ScheduleShape (common/schedule.h) and the wire enum
// augur.v1.ScheduleShape: the only place that maps one to the other. A separate target
// (augur_schedule_proto) so that augur_schedule itself needs no protobuf.
// Thread safety: pure functions.
#ifndef AUGUR_COMMON_SCHEDULE_PROTO_H_
#define AUGUR_COMMON_SCHEDULE_PROTO_H_

#include "absl/status/statusor.h"
#include "augur/v1/common.pb.h"
#include "common/schedule.h"

namespace augur {

// SCHEDULE_SHAPE_UNSPECIFIED (and any value this build does not know) is the proto's
// documented default, linear decay.
ScheduleShape ShapeFromProto(v1::ScheduleShape shape);

// The settings a wire schedule asks for. Proto3 cannot tell 0 from unset: a warmup_fraction or
// decay_fraction of 0 means the default of ScheduleSettings (0.1 and 0.2). The trainer and the
// predictor both read a trial's schedule through this, so they run and model the same one.
ScheduleSettings ScheduleFromProto(const v1::Schedule& schedule);

// INVALID_ARGUMENT for kTabulated: a table comes from logged curves and has no wire value.
absl::StatusOr<v1::ScheduleShape> ShapeToProto(ScheduleShape shape);

}  // namespace augur

#endif  // AUGUR_COMMON_SCHEDULE_PROTO_H_
