#include "scheduler/milestones.h"

#include <cmath>

namespace augur {

double RunUntilFraction(std::span<const double> milestones, double progress) {
  for (double m : milestones) {
    if (!ReachedMilestone(progress, m)) return m;
  }
  return 0;
}

double WaitingAt(std::span<const double> milestones, double progress) {
  double at = 0;
  for (double m : milestones) {
    if (ReachedMilestone(progress, m)) at = m;
  }
  return at;
}

bool HoldsMilestone(const MilestoneView& t, double m) {
  if (t.is_reference || t.decided_at_m) return false;
  switch (t.state) {
    case v1::TRIAL_STATE_PENDING:
    case v1::TRIAL_STATE_WAITING:
    case v1::TRIAL_STATE_PAUSED:
      return !ReachedMilestone(t.progress, m);
    case v1::TRIAL_STATE_RUNNING:
      // Running through m (a lease that does not stop there) reaches it with its points.
      return !ReachedMilestone(t.progress, m) || std::abs(t.run_until - m) < 1e-9;
    default:
      return false;  // Ended: it drops out.
  }
}

}  // namespace augur
