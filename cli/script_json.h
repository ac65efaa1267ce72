// Scheduler messages as JSON for scripts (`--output json`, docs/json.md): proto field names,
// every scalar field printed (defaults included), 64-bit integers as JSON numbers (not the
// strings of proto's JSON mapping), enums as short lowercase names ("running", "stop", "grid"),
// non-finite doubles as null, and the trial-count keys of a sweep as short state names.
// Unset message fields are left out. Pure; thread-safe.
#ifndef AUGUR_CLI_SCRIPT_JSON_H_
#define AUGUR_CLI_SCRIPT_JSON_H_

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"

namespace augur::cli {

nlohmann::json ScriptJson(const google::protobuf::Message& message);

// The value's name without the prefix its enum's values share, lowercased:
// TRIAL_STATE_RUNNING -> "running", STATE_CANCELLED -> "cancelled", DECISION_ACTION_STOP ->
// "stop". UNSPECIFIED becomes "unspecified".
std::string ShortEnumName(const google::protobuf::EnumValueDescriptor& value);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SCRIPT_JSON_H_
