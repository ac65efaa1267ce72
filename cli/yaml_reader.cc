#include "cli/yaml_reader.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "common/text.h"

namespace augur::cli {

std::string SpecError::ToString(std::string_view file) const {
  std::string out(file);
  if (line > 0) out += Cat(":", line, ":", column);
  out += Cat(": ");
  if (!field.empty()) out += Cat(field, ": ");
  out += Cat(message);
  return out;
}

std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  std::string text = node.Scalar();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return Cat("`", text, "`");
}

void YamlReader::Error(const YAML::Node& at, std::string_view field, std::string message) {
  YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  if (mark.is_null()) mark = MarkOf(field);
  AddError(mark, field, std::move(message));
}

void YamlReader::ErrorAt(std::string_view field, std::string message) {
  if (HasError(field)) return;
  AddError(MarkOf(field), field, std::move(message));
}

void YamlReader::AddError(const YAML::Mark& mark, std::string_view field, std::string message) {
  errored_.insert(std::string(field));
  SpecError error;
  if (!mark.is_null()) {
    error.line = mark.line + 1;
    error.column = mark.column + 1;
  }
  error.field = std::string(field);
  error.message = std::move(message);
  errors_->push_back(std::move(error));
}

void YamlReader::Remember(std::string_view field, const YAML::Node& node) {
  if (node.IsDefined() && !node.Mark().is_null()) marks_[std::string(field)] = node.Mark();
}

YAML::Mark YamlReader::MarkOf(std::string_view field) const {
  std::string path(field);
  while (true) {
    auto it = marks_.find(path);
    if (it != marks_.end()) return it->second;
    const size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    path.resize(cut);
  }
  auto root = marks_.find("");
  return root != marks_.end() ? root->second : YAML::Mark::null_mark();
}

bool YamlReader::ExpectMap(const YAML::Node& node, std::string_view field,
                           std::span<const std::string_view> allowed,
                           std::span<const KeyHint> hints) {
  Remember(field, node);
  if (!node.IsMap()) {
    Error(node, field,
          Cat("got ", Describe(node), ", expected a map with keys ", JoinText(allowed, ", ")));
    return false;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    const std::string key = key_node.IsScalar() ? key_node.Scalar() : "";
    const std::string key_field = field.empty() ? key : Cat(field, ".", key);
    if (!seen.insert(key).second) {
      Error(key_node, key_field, "duplicate key");
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string message = Cat("unknown key `", key, "`");
    const std::string suggestion = SuggestKey(key, allowed);
    const auto hint =
        std::find_if(hints.begin(), hints.end(), [&](const KeyHint& h) { return h.key == key; });
    if (!suggestion.empty()) {
      message += Cat("; did you mean `", suggestion, "`?");
    } else if (hint != hints.end()) {
      message += Cat(" here; it belongs at `", hint->belongs_at, "`");
    } else {
      message += Cat("; expected one of ", JoinText(allowed, ", "));
    }
    Error(key_node, key_field, std::move(message));
  }
  return true;
}

bool YamlReader::ExpectList(const YAML::Node& node, std::string_view field) {
  Remember(field, node);
  if (node.IsSequence()) return true;
  Error(node, field, Cat("got ", Describe(node), ", expected a list"));
  return false;
}

namespace {

// yaml-cpp converts scalars with exceptions; this keeps them inside the reader.
template <typename T>
std::optional<T> Convert(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<double> YamlReader::Double(const YAML::Node& node, std::string_view field) {
  Remember(field, node);
  std::optional<double> value = Convert<double>(node);
  if (!value.has_value() || !std::isfinite(*value)) {
    Error(node, field, Cat("got ", Describe(node), ", expected a finite number"));
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> YamlReader::Int(const YAML::Node& node, std::string_view field) {
  Remember(field, node);
  std::optional<int64_t> value = Convert<int64_t>(node);
  if (!value.has_value()) {
    Error(node, field, Cat("got ", Describe(node), ", expected an integer"));
  }
  return value;
}

std::optional<bool> YamlReader::Bool(const YAML::Node& node, std::string_view field) {
  Remember(field, node);
  std::optional<bool> value = Convert<bool>(node);
  if (!value.has_value()) {
    Error(node, field, Cat("got ", Describe(node), ", expected true or false"));
  }
  return value;
}

std::optional<std::string> YamlReader::String(const YAML::Node& node, std::string_view field) {
  Remember(field, node);
  if (!node.IsScalar()) {
    Error(node, field, Cat("got ", Describe(node), ", expected a string"));
    return std::nullopt;
  }
  return node.Scalar();
}

}  // namespace augur::cli
