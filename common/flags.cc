#include "common/flags.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/suggest.h"
#include "common/text.h"

namespace augur {

void FlagSet::AddString(std::string name, std::string value_name, std::string help,
                        std::string* target) {
  flags_.push_back({std::move(name),
                    std::move(value_name),
                    std::move(help),
                    Kind::kString,
                    {},
                    target,
                    *target});
}

void FlagSet::AddChoice(std::string name, std::vector<std::string> choices, std::string help,
                        std::string* target) {
  std::string value_name = JoinText(choices, "|");
  flags_.push_back({std::move(name), std::move(value_name), std::move(help), Kind::kChoice,
                    std::move(choices), target, *target});
}

void FlagSet::AddInt(std::string name, std::string value_name, std::string help, int64_t* target) {
  flags_.push_back({std::move(name),
                    std::move(value_name),
                    std::move(help),
                    Kind::kInt,
                    {},
                    target,
                    Cat(*target)});
}

void FlagSet::AddBool(std::string name, std::string help, bool* target) {
  flags_.push_back(
      {std::move(name), "", std::move(help), Kind::kBool, {}, target, *target ? "true" : ""});
}

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

absl::Status FlagSet::Set(const Flag& flag, const std::string& value) const {
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.target) = value;
      return absl::OkStatus();
    case Kind::kChoice:
      if (std::find(flag.choices.begin(), flag.choices.end(), value) == flag.choices.end()) {
        return absl::InvalidArgumentError(
            Cat("--", flag.name, ": got `", value, "`, expected one of ", flag.value_name));
      }
      *static_cast<std::string*>(flag.target) = value;
      return absl::OkStatus();
    case Kind::kInt: {
      int64_t parsed = 0;
      const char* end = value.data() + value.size();
      auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
      if (value.empty() || ec != std::errc() || ptr != end) {
        return absl::InvalidArgumentError(
            Cat("--", flag.name, ": got `", value, "`, expected an integer"));
      }
      *static_cast<int64_t*>(flag.target) = parsed;
      return absl::OkStatus();
    }
    case Kind::kBool:
      if (value == "true" || value == "1") {
        *static_cast<bool*>(flag.target) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(flag.target) = false;
      } else {
        return absl::InvalidArgumentError(
            Cat("--", flag.name, ": got `", value, "`, expected true or false"));
      }
      return absl::OkStatus();
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(std::span<const std::string> args) const {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    // "-" alone (stdin by convention) and anything not starting with '-' is positional.
    if (arg.size() < 2 || arg[0] != '-') {
      if (stop_at_positional_) {
        positional.insert(positional.end(), args.begin() + i, args.end());
        break;
      }
      positional.push_back(arg);
      continue;
    }
    // "-h" is the one short form, kept because users type it reflexively.
    std::string body = arg == "-h" ? "help" : arg.substr(arg[1] == '-' ? 2 : 1);
    std::string name = body;
    std::optional<std::string> value;
    if (const size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      std::vector<std::string_view> names;
      for (const Flag& f : flags_) names.push_back(f.name);
      const std::string suggestion = SuggestKey(name, names);
      return absl::InvalidArgumentError(
          Cat("unknown flag `", arg, "`",
              suggestion.empty() ? std::string() : Cat("; did you mean `--", suggestion, "`?")));
    }
    if (!value.has_value()) {
      if (flag->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            Cat("--", flag->name, ": missing value, expected ", flag->value_name));
      }
    }
    if (absl::Status s = Set(*flag, *value); !s.ok()) return s;
  }
  return positional;
}

std::string FlagSet::Help() const {
  std::vector<std::string> lefts;
  size_t width = 0;
  for (const Flag& flag : flags_) {
    std::string left = Cat("  --", flag.name);
    if (!flag.value_name.empty()) left += Cat(" ", flag.value_name);
    width = std::max(width, left.size());
    lefts.push_back(std::move(left));
  }
  std::string out;
  for (size_t i = 0; i < flags_.size(); ++i) {
    out += lefts[i] + std::string(width - lefts[i].size() + 2, ' ') + flags_[i].help;
    if (!flags_[i].default_text.empty()) out += Cat(" (default: ", flags_[i].default_text, ")");
    out += "\n";
  }
  return out;
}

}  // namespace augur
