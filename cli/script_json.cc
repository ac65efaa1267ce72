#include "cli/script_json.h"

#include <cctype>
#include <cmath>
#include <string_view>

#include "augur/v1/trial.pb.h"

namespace augur::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The longest prefix ending in '_' that every value name of the enum shares.
std::string_view SharedPrefix(const google::protobuf::EnumDescriptor& e) {
  std::string_view prefix = e.value(0)->name();
  for (int i = 1; i < e.value_count(); ++i) {
    std::string_view name = e.value(i)->name();
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix = prefix.substr(0, n);
  }
  const size_t cut = prefix.rfind('_');
  return cut == std::string_view::npos ? std::string_view() : prefix.substr(0, cut + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

nlohmann::json Double(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// A map key that names a trial state (Sweep.trial_counts) is shortened like the enum.
std::string MapKey(const std::string& key) {
  v1::TrialState state;
  if (v1::TrialState_Parse(key, &state)) {
    return ShortEnumName(*v1::TrialState_descriptor()->FindValueByNumber(state));
  }
  return key;
}

nlohmann::json Scalar(const Message& m, const Reflection& r, const FieldDescriptor& f) {
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r.GetInt32(m, &f);
    case FieldDescriptor::CPPTYPE_INT64:
      return r.GetInt64(m, &f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return r.GetUInt32(m, &f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return r.GetUInt64(m, &f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Double(r.GetDouble(m, &f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Double(r.GetFloat(m, &f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r.GetBool(m, &f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return ShortEnumName(*r.GetEnum(m, &f));
    case FieldDescriptor::CPPTYPE_STRING:
      return r.GetString(m, &f);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ScriptJson(r.GetMessage(m, &f));
  }
  return nullptr;
}

nlohmann::json Element(const Message& m, const Reflection& r, const FieldDescriptor& f, int i) {
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r.GetRepeatedInt32(m, &f, i);
    case FieldDescriptor::CPPTYPE_INT64:
      return r.GetRepeatedInt64(m, &f, i);
    case FieldDescriptor::CPPTYPE_UINT32:
      return r.GetRepeatedUInt32(m, &f, i);
    case FieldDescriptor::CPPTYPE_UINT64:
      return r.GetRepeatedUInt64(m, &f, i);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Double(r.GetRepeatedDouble(m, &f, i));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Double(r.GetRepeatedFloat(m, &f, i));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r.GetRepeatedBool(m, &f, i);
    case FieldDescriptor::CPPTYPE_ENUM:
      return ShortEnumName(*r.GetRepeatedEnum(m, &f, i));
    case FieldDescriptor::CPPTYPE_STRING:
      return r.GetRepeatedString(m, &f, i);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ScriptJson(r.GetRepeatedMessage(m, &f, i));
  }
  return nullptr;
}

}  // namespace

std::string ShortEnumName(const google::protobuf::EnumValueDescriptor& value) {
  std::string_view name = value.name();
  name.remove_prefix(SharedPrefix(*value.type()).size());
  return Lower(name);
}

nlohmann::json ScriptJson(const Message& message) {
  nlohmann::json out = nlohmann::json::object();
  const google::protobuf::Descriptor& d = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor& f = *d.field(i);
    if (f.is_map()) {
      nlohmann::json map = nlohmann::json::object();
      const FieldDescriptor& key = *f.message_type()->map_key();
      const FieldDescriptor& val = *f.message_type()->map_value();
      for (int j = 0; j < r.FieldSize(message, &f); ++j) {
        const Message& entry = r.GetRepeatedMessage(message, &f, j);
        const Reflection& er = *entry.GetReflection();
        const nlohmann::json k = Scalar(entry, er, key);
        map[k.is_string() ? MapKey(k.get<std::string>()) : k.dump()] = Scalar(entry, er, val);
      }
      out[f.name()] = std::move(map);
    } else if (f.is_repeated()) {
      nlohmann::json list = nlohmann::json::array();
      for (int j = 0; j < r.FieldSize(message, &f); ++j) list.push_back(Element(message, r, f, j));
      out[f.name()] = std::move(list);
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (r.HasField(message, &f)) out[f.name()] = Scalar(message, r, f);
    } else {
      out[f.name()] = Scalar(message, r, f);
    }
  }
  return out;
}

}  // namespace augur::cli
