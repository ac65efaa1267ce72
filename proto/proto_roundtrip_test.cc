// Round-trips one fully populated message of every augur.v1 type through the binary wire
// format and through JSON, so a field that cannot survive either is caught here.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "augur/v1/common.pb.h"
#include "augur/v1/sweep.grpc.pb.h"
#include "augur/v1/trial.pb.h"
#include "augur/v1/worker.grpc.pb.h"
#include "google/protobuf/compiler/importer.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace augur {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Sets every field of `msg` to a value that differs from its default; recurses into message
// fields up to `depth`. For a oneof only the last member set survives, which is fine.
void Fill(Message* msg, int depth, int* counter) {
  const Descriptor* d = msg->GetDescriptor();
  const Reflection* r = msg->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const int v = ++*counter;
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        rep ? r->AddInt32(msg, f, v) : r->SetInt32(msg, f, v);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        rep ? r->AddInt64(msg, f, static_cast<int64_t>(v) << 33)
            : r->SetInt64(msg, f, static_cast<int64_t>(v) << 33);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        rep ? r->AddUInt32(msg, f, v) : r->SetUInt32(msg, f, v);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        rep ? r->AddUInt64(msg, f, static_cast<uint64_t>(v) << 40)
            : r->SetUInt64(msg, f, static_cast<uint64_t>(v) << 40);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        rep ? r->AddDouble(msg, f, v + 0.125) : r->SetDouble(msg, f, v + 0.125);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        rep ? r->AddFloat(msg, f, v + 0.5f) : r->SetFloat(msg, f, v + 0.5f);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        rep ? r->AddBool(msg, f, true) : r->SetBool(msg, f, true);
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string s = "value-" + std::to_string(v) + "-\xc3\xa9";
        rep ? r->AddString(msg, f, s) : r->SetString(msg, f, s);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* e = f->enum_type();
        const auto* ev = e->value(e->value_count() - 1);
        rep ? r->AddEnum(msg, f, ev) : r->SetEnum(msg, f, ev);
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth > 0) {
          Message* sub = rep ? r->AddMessage(msg, f) : r->MutableMessage(msg, f);
          Fill(sub, depth - 1, counter);
        }
        break;
    }
  }
}

std::vector<const Descriptor*> AllAugurMessages() {
  // Touch one type of each file so the generated descriptors are linked and registered.
  const FileDescriptor* files[] = {
      augur::v1::LossPoint::descriptor()->file(),
      augur::v1::TrialConfig::descriptor()->file(),
      augur::v1::SweepSpec::descriptor()->file(),
      augur::v1::WorkerMessage::descriptor()->file(),
  };
  std::vector<const Descriptor*> out;
  std::vector<const Descriptor*> stack;
  for (const FileDescriptor* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i) stack.push_back(file->message_type(i));
  }
  while (!stack.empty()) {
    const Descriptor* d = stack.back();
    stack.pop_back();
    if (d->options().map_entry()) continue;
    out.push_back(d);
    for (int i = 0; i < d->nested_type_count(); ++i) stack.push_back(d->nested_type(i));
  }
  return out;
}

TEST(ProtoRoundTrip, EveryMessageTypeSurvivesWireAndJson) {
  const auto types = AllAugurMessages();
  // 4 files, dozens of messages: guard against the walk silently finding nothing.
  ASSERT_GT(types.size(), 40u);
  for (const Descriptor* d : types) {
    SCOPED_TRACE(d->full_name());
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
    ASSERT_NE(prototype, nullptr);
    std::unique_ptr<Message> original(prototype->New());
    int counter = 0;
    Fill(original.get(), 3, &counter);
    if (d->field_count() > 0) {
      EXPECT_GT(original->ByteSizeLong(), 0u);
    }

    std::string wire;
    ASSERT_TRUE(original->SerializeToString(&wire));
    std::unique_ptr<Message> decoded(prototype->New());
    ASSERT_TRUE(decoded->ParseFromString(wire));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*original, *decoded))
        << decoded->DebugString();

    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*original, &json).ok());
    std::unique_ptr<Message> from_json(prototype->New());
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, from_json.get()).ok()) << json;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*original, *from_json)) << json;
  }
}

TEST(ProtoRoundTrip, ServicesDeclareTheDesignedRpcs) {
  const auto* sweep = augur::v1::SweepService::service_full_name();
  EXPECT_STREQ(sweep, "augur.v1.SweepService");
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* svc = pool->FindServiceByName("augur.v1.WorkerService");
  ASSERT_NE(svc, nullptr);
  const auto* session = svc->FindMethodByName("Session");
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(session->client_streaming());
  EXPECT_TRUE(session->server_streaming());
  const auto* watch =
      pool->FindServiceByName("augur.v1.SweepService")->FindMethodByName("WatchRanking");
  ASSERT_NE(watch, nullptr);
  EXPECT_TRUE(watch->server_streaming());
}

// Parses the .proto sources (generated descriptors carry no comments) and requires a leading
// comment on every message, field, enum, enum value, service and RPC.
class NullErrors : public google::protobuf::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& file, int line, int col, const std::string& msg) override {
    ADD_FAILURE() << file << ":" << line + 1 << ":" << col + 1 << ": " << msg;
  }
};

template <typename T>
void ExpectCommented(const T* d, std::vector<std::string>* missing) {
  google::protobuf::SourceLocation loc;
  if (!d->GetSourceLocation(&loc) || loc.leading_comments.empty()) {
    missing->push_back(d->full_name());
  }
}

void CheckMessage(const Descriptor* d, std::vector<std::string>* missing) {
  ExpectCommented(d, missing);
  for (int i = 0; i < d->field_count(); ++i) ExpectCommented(d->field(i), missing);
  for (int i = 0; i < d->oneof_decl_count(); ++i) {
    if (!d->oneof_decl(i)->is_synthetic()) ExpectCommented(d->oneof_decl(i), missing);
  }
  for (int i = 0; i < d->enum_type_count(); ++i) {
    ExpectCommented(d->enum_type(i), missing);
    for (int j = 0; j < d->enum_type(i)->value_count(); ++j) {
      ExpectCommented(d->enum_type(i)->value(j), missing);
    }
  }
  for (int i = 0; i < d->nested_type_count(); ++i) {
    if (!d->nested_type(i)->options().map_entry()) CheckMessage(d->nested_type(i), missing);
  }
}

TEST(ProtoDocs, EveryDeclarationHasAComment) {
  const char* src = std::getenv("AUGUR_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "run under ctest (AUGUR_SOURCE_DIR)";
  google::protobuf::compiler::DiskSourceTree tree;
  tree.MapPath("", std::string(src) + "/proto");
  NullErrors errors;
  google::protobuf::compiler::Importer importer(&tree, &errors);
  std::vector<std::string> missing;
  int files = 0;
  for (const char* name : {"augur/v1/common.proto", "augur/v1/trial.proto", "augur/v1/sweep.proto",
                           "augur/v1/worker.proto"}) {
    const FileDescriptor* file = importer.Import(name);
    ASSERT_NE(file, nullptr) << name;
    ++files;
    for (int i = 0; i < file->message_type_count(); ++i)
      CheckMessage(file->message_type(i), &missing);
    for (int i = 0; i < file->enum_type_count(); ++i) {
      ExpectCommented(file->enum_type(i), &missing);
      for (int j = 0; j < file->enum_type(i)->value_count(); ++j) {
        ExpectCommented(file->enum_type(i)->value(j), &missing);
      }
    }
    for (int i = 0; i < file->service_count(); ++i) {
      ExpectCommented(file->service(i), &missing);
      for (int j = 0; j < file->service(i)->method_count(); ++j) {
        ExpectCommented(file->service(i)->method(j), &missing);
      }
    }
  }
  EXPECT_EQ(files, 4);
  EXPECT_TRUE(missing.empty()) << "undocumented: " << absl::StrJoin(missing, ", ");
}

}  // namespace
}  // namespace augur
