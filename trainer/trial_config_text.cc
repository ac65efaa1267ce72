#include "trainer/trial_config_text.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/schedule_proto.h"
#include "common/status_macros.h"

namespace augur::trainer {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Bad(absl::string_view path, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, " = '", value, "': ", why));
}

const EnumValueDescriptor* FindEnumValue(const FieldDescriptor* f, absl::string_view value) {
  const auto* e = f->enum_type();
  // A schedule shape also takes every name the rest of Augur reads (wsd, and old ones: d2z).
  if (e == augur::v1::ScheduleShape_descriptor()) {
    if (auto shape = ParseScheduleShape(value); shape.ok()) {
      if (auto wire = ShapeToProto(*shape); wire.ok()) return e->FindValueByNumber(*wire);
    }
  }
  const std::string upper = absl::AsciiStrToUpper(value);
  for (int i = 0; i < e->value_count(); ++i) {
    const std::string& name = e->value(i)->name();
    if (name == upper || (name.size() > upper.size() && name.ends_with("_" + upper))) {
      return e->value(i);
    }
  }
  return nullptr;
}

absl::Status SetScalar(Message* msg, const FieldDescriptor* f, absl::string_view path,
                       absl::string_view value) {
  const Reflection* r = msg->GetReflection();
  const std::string v(absl::StripAsciiWhitespace(value));
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t x;
      if (!absl::SimpleAtoi(v, &x)) return Bad(path, v, "not an int32");
      r->SetInt32(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t x;
      if (!absl::SimpleAtoi(v, &x)) return Bad(path, v, "not an int64");
      r->SetInt64(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t x;
      if (!absl::SimpleAtoi(v, &x)) return Bad(path, v, "not a uint32");
      r->SetUInt32(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t x;
      if (!absl::SimpleAtoi(v, &x)) return Bad(path, v, "not a uint64");
      r->SetUInt64(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double x;
      if (!absl::SimpleAtod(v, &x)) return Bad(path, v, "not a number");
      r->SetDouble(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float x;
      if (!absl::SimpleAtof(v, &x)) return Bad(path, v, "not a number");
      r->SetFloat(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool x;
      if (!absl::SimpleAtob(v, &x)) return Bad(path, v, "not a bool");
      r->SetBool(msg, f, x);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(msg, f, v);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* e = FindEnumValue(f, v);
      if (e == nullptr) {
        std::string names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          absl::StrAppend(&names, i ? ", " : "", f->enum_type()->value(i)->name());
        }
        return Bad(path, v, absl::StrCat("unknown value (one of ", names, ")"));
      }
      r->SetEnum(msg, f, e);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return Bad(path, v, "is a message; set its fields (e.g. model.width)");
  }
  return absl::OkStatus();
}

std::string Known(const Descriptor* d) {
  std::string out;
  for (int i = 0; i < d->field_count(); ++i)
    absl::StrAppend(&out, i ? ", " : "", d->field(i)->name());
  return out;
}

absl::Status SetFromYaml(Message* msg, const YAML::Node& node, const std::string& prefix) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix.empty() ? "document" : prefix, " must be a map of field names"));
  }
  const Descriptor* d = msg->GetDescriptor();
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string path = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
    const std::string where = absl::StrCat("line ", kv.first.Mark().line + 1, ": ");
    const FieldDescriptor* f = d->FindFieldByName(key);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown field '", path, "' (known: ", Known(d), ")"));
    }
    absl::Status s;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      s = SetFromYaml(msg->GetReflection()->MutableMessage(msg, f), kv.second, path);
    } else if (!kv.second.IsScalar()) {
      s = absl::InvalidArgumentError(absl::StrCat(path, " must be a scalar"));
    } else {
      s = SetScalar(msg, f, path, kv.second.Scalar());
    }
    if (!s.ok()) {
      // Nested errors already carry their own line.
      const std::string m(s.message());
      return absl::InvalidArgumentError(m.starts_with("line ") ? m : where + m);
    }
  }
  return absl::OkStatus();
}

void CollectHelp(const Descriptor* d, const std::string& prefix, std::vector<std::string>* out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path = prefix + f->name();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      CollectHelp(f->message_type(), path + ".", out);
    } else {
      out->push_back(absl::StrCat(path, " (", f->type_name(), ")"));
    }
  }
}

}  // namespace

absl::Status SetTrialField(augur::v1::TrialConfig* config, absl::string_view path,
                           absl::string_view value) {
  Message* msg = config;
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = msg->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field '", path, "' ('", parts[i],
                       "' is not one of: ", Known(msg->GetDescriptor()), ")"));
    }
    if (i + 1 == parts.size()) return SetScalar(msg, f, path, value);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat("'", parts[i], "' in ", path, " is a scalar"));
    }
    msg = msg->GetReflection()->MutableMessage(msg, f);
  }
  return absl::InvalidArgumentError("empty field path");
}

absl::StatusOr<TrialConfigFile> ParseTrialYaml(absl::string_view yaml, absl::string_view source) {
  TrialConfigFile out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return out;
    if (root.IsMap() && root["run_id"]) {
      out.run_id = root["run_id"].as<std::string>();
      root.remove("run_id");
    }
    const absl::Status s = SetFromYaml(&out.config, root, "");
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(source, ":", s.message()));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":line ", e.mark.line + 1, ": ", e.msg));
  }
  return out;
}

absl::StatusOr<TrialConfigFile> LoadTrialYaml(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open trial config ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseTrialYaml(ss.str(), path);
}

std::vector<std::string> TrialFieldHelp() {
  std::vector<std::string> out;
  CollectHelp(augur::v1::TrialConfig::descriptor(), "", &out);
  return out;
}

}  // namespace augur::trainer
