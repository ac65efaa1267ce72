#include "cli/yaml_documents.h"

#include <sstream>
#include <vector>

#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace augur::cli {
namespace {

// Notes where each document starts; ignores the rest.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

}  // namespace

YamlDocuments LoadFirstYamlDocument(const std::string& text) {
  YamlDocuments docs;
  docs.first = YAML::Load(text);
  if (docs.first.IsNull()) return docs;
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  // Two documents at most: the loop of LoadAll would go on for ever on the inputs above.
  for (int i = 0; i < 2 && parser.HandleNextDocument(starts); ++i) {
  }
  if (starts.starts.size() >= 2) docs.second = starts.starts[1];
  return docs;
}

}  // namespace augur::cli
