// What differs between two sweep specs, for `augur run` deciding whether a re-run resumes its
// sweep: the YAML text (source_yaml) is not compared, so a comment or whitespace change is no
// change. Pure; thread-safe.
#ifndef AUGUR_CLI_SPEC_DIFF_H_
#define AUGUR_CLI_SPEC_DIFF_H_

#include <string>
#include <vector>

#include "augur/v1/sweep.pb.h"

namespace augur::cli {

// Field paths that differ, two levels deep at most ("search.dimensions", "tokens_per_param",
// "policy.keep_top"), in field order; empty when the specs mean the same sweep.
std::vector<std::string> SpecDifferences(const v1::SweepSpec& a, const v1::SweepSpec& b);

}  // namespace augur::cli

#endif  // AUGUR_CLI_SPEC_DIFF_H_
