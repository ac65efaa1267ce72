// BackedStore: what users do to a whole sweep besides cancelling it — delete it, tag it,
// annotate it. Each change is logged with who made it.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "scheduler/backed_store.h"

namespace augur {
namespace {

absl::Status CheckTag(const std::string& tag) {
  if (tag.empty()) return absl::InvalidArgumentError("a tag is empty");
  if (tag.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat("tag `", tag, "` is longer than 64 characters"));
  }
  for (char c : tag) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) {
      return absl::InvalidArgumentError(absl::StrCat("tag `", tag, "` contains whitespace"));
    }
  }
  return absl::OkStatus();
}

constexpr size_t kMaxNoteBytes = 4096;

}  // namespace

absl::StatusOr<int> BackedStore::DeleteSweep(absl::string_view sweep_id, absl::string_view who) {
  return RunFor<int>([&](StoreBackend& db) -> absl::StatusOr<int> {
    ASSIGN_OR_RETURN(SweepRecord sweep, MustLoadSweep(db, sweep_id));
    if (sweep.sweep.state() == v1::Sweep::STATE_RUNNING) {
      return absl::FailedPreconditionError(
          absl::StrCat("sweep ", sweep_id, " is running; stop it first or force the delete"));
    }
    ASSIGN_OR_RETURN(int trials, db.DeleteSweepRows(sweep_id));
    RETURN_IF_ERROR(Log(db, "sweep_deleted", sweep_id, "",
                        absl::StrCat("deleted by ", who, " with ", trials, " trials")));
    return trials;
  });
}

absl::StatusOr<v1::Sweep> BackedStore::AnnotateSweep(absl::string_view sweep_id,
                                                     const std::vector<std::string>& add_tags,
                                                     const std::vector<std::string>& remove_tags,
                                                     const std::optional<std::string>& note,
                                                     absl::string_view who) {
  for (const std::string& tag : add_tags) RETURN_IF_ERROR(CheckTag(tag));
  if (note && note->size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the note has ", note->size(), " bytes, more than ", kMaxNoteBytes));
  }
  return RunFor<v1::Sweep>([&](StoreBackend& db) -> absl::StatusOr<v1::Sweep> {
    ASSIGN_OR_RETURN(SweepRecord sweep, MustLoadSweep(db, sweep_id));
    std::set<std::string> tags(sweep.sweep.tags().begin(), sweep.sweep.tags().end());
    for (const std::string& tag : add_tags) tags.insert(tag);
    for (const std::string& tag : remove_tags) tags.erase(tag);
    sweep.sweep.clear_tags();
    for (const std::string& tag : tags) sweep.sweep.add_tags(tag);
    if (note) sweep.sweep.set_note(*note);
    RETURN_IF_ERROR(db.UpdateSweep(sweep.sweep));
    std::vector<std::string> what;
    if (!add_tags.empty()) what.push_back(absl::StrCat("tagged ", absl::StrJoin(add_tags, " ")));
    if (!remove_tags.empty()) {
      what.push_back(absl::StrCat("untagged ", absl::StrJoin(remove_tags, " ")));
    }
    if (note) what.push_back(note->empty() ? "note cleared" : absl::StrCat("note: ", *note));
    RETURN_IF_ERROR(Log(db, "sweep_annotated", sweep_id, "",
                        absl::StrCat(absl::StrJoin(what, "; "), " (by ", who, ")")));
    return Summarize(db, sweep);
  });
}

}  // namespace augur
