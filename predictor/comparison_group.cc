#include "predictor/comparison_group.h"

#include <cmath>
#include <set>

#include "absl/strings/str_format.h"
#include "common/schedule.h"

namespace augur::predictor {

std::string ComparisonGroupKey(const CurveControls& c) {
  // Coarse on purpose: a warmup read from a logged `lr` column lands on a logged step, and a
  // TPP derived from a rounded step count moves a little; runs planned alike must stay together.
  const double warmup = 0.005 * std::round(c.schedule.warmup_fraction / 0.005);
  return absl::StrFormat("%s/w%.3f/n%.3g/tpp%.2g", ScheduleShapeName(c.schedule.shape), warmup,
                         c.params, c.tokens_per_param);
}

int NameComparisonGroups(std::vector<Curve>& curves) {
  std::set<std::string> keys;
  for (const Curve& c : curves) {
    if (c.group.empty()) keys.insert(ComparisonGroupKey(c.controls));
  }
  if (keys.size() < 2) return 0;
  for (Curve& c : curves) {
    if (c.group.empty()) c.group = ComparisonGroupKey(c.controls);
  }
  return static_cast<int>(keys.size());
}

}  // namespace augur::predictor
