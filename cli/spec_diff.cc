#include "cli/spec_diff.h"

#include "google/protobuf/util/message_differencer.h"

namespace augur::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool FieldEquals(const Message& a, const Message& b, const FieldDescriptor& f) {
  google::protobuf::util::MessageDifferencer differencer;
  return differencer.CompareWithFields(a, b, {&f}, {&f});
}

void Diff(const Message& a, const Message& b, const std::string& prefix, int depth,
          std::vector<std::string>& out) {
  const google::protobuf::Descriptor& d = *a.GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor& f = *d.field(i);
    if (f.name() == "source_yaml" || FieldEquals(a, b, f)) continue;
    const std::string path = prefix.empty() ? f.name() : prefix + "." + f.name();
    if (depth > 0 && f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f.is_repeated()) {
      const size_t before = out.size();
      Diff(a.GetReflection()->GetMessage(a, &f), b.GetReflection()->GetMessage(b, &f), path,
           depth - 1, out);
      if (out.size() > before) continue;
    }
    out.push_back(path);
  }
}

}  // namespace

std::vector<std::string> SpecDifferences(const v1::SweepSpec& a, const v1::SweepSpec& b) {
  std::vector<std::string> out;
  Diff(a, b, "", 1, out);
  return out;
}

}  // namespace augur::cli
