#include "cli/curve_export.h"

#include <cstdio>
#include <sstream>

#include "cli/script_json.h"
#include "cli/sweep_view.h"
#include "common/schedule_proto.h"
#include "common/text.h"

namespace augur::cli {
namespace {

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

// Trial ids contain no commas or quotes today; quote anyway so the file stays parseable.
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

const char kCurvesCsvHeader[] =
    "run_id,step,tokens,fraction,loss,val_loss,lr,total_steps,schedule,warmup_fraction,"
    "decay_fraction,final_lr_fraction,peak_lr,weight_decay,tau,batch_tokens,params,tpp,seed,"
    "group,complete,state,reference,wall_time_unix_ms\n";

void WriteCurveCsvRows(const v1::TrialCurve& curve, const std::string& group, std::ostream& out) {
  const v1::Trial& t = curve.trial();
  const v1::CurveControls& c = t.controls();
  const bool complete = t.state() == v1::TRIAL_STATE_COMPLETED;
  const std::string controls =
      Cat(c.total_steps(), ",", ScheduleShapeName(ShapeFromProto(c.schedule().shape())), ",",
          Num(c.schedule().warmup_fraction()), ",", Num(c.schedule().decay_fraction()), ",",
          Num(c.schedule().final_lr_fraction()), ",", Num(c.peak_lr()), ",", Num(c.weight_decay()),
          ",", Num(c.tau()), ",", c.batch_tokens(), ",", c.params(), ",", Num(c.tokens_per_param()),
          ",", c.seed(), ",", Field(group), ",", complete ? 1 : 0, ",", TrialStateName(t.state()),
          ",", t.is_reference() ? 1 : 0);
  for (const v1::LossPoint& p : curve.points()) {
    out << Field(t.trial_id()) << "," << p.step() << "," << p.tokens() << "," << Num(p.fraction())
        << "," << Num(p.train_loss()) << "," << (p.has_val_loss() ? Num(p.val_loss()) : "") << ","
        << Num(p.lr()) << "," << controls << "," << p.wall_time_unix_ms() << "\n";
  }
}

std::string CurvesCsv(const std::vector<v1::TrialCurve>& curves, const std::string& group) {
  std::ostringstream out;
  out << kCurvesCsvHeader;
  for (const v1::TrialCurve& curve : curves) WriteCurveCsvRows(curve, group, out);
  return out.str();
}

nlohmann::json CurvesJson(const std::vector<v1::TrialCurve>& curves) {
  nlohmann::json trials = nlohmann::json::array();
  for (const v1::TrialCurve& curve : curves) trials.push_back(ScriptJson(curve));
  return {{"trials", trials}};
}

}  // namespace augur::cli
