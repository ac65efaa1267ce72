// bench_predictor: accuracy, regret and compute of the stopping policies on synthetic sweeps
// and on public real curves, and the predictor's speed. Not a ctest test; see README.md.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/predictor/bench_common.h"
#include "bench/predictor/defaults_summary.h"

int main(int argc, char** argv) {
  std::string data, evidence;
  int sweeps = 5;
  augur::bench::RealOptions real_options;
  bool synthetic = true, real = true, speed = true, example = false, evidence_on = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf(
          "bench_predictor [--data DIR] [--evidence DIR] [--sweeps N]\n"
          "                [--only synthetic|real|speed|example|evidence]\n"
          "  --data DIR    MultiPowerLaw curves (default: $AUGUR_SOURCE_DIR/../shared/data/"
          "multipowerlaw-luo2025, else ../shared/data/... from the working directory)\n"
          "  --evidence DIR  our own runs (default: $AUGUR_SOURCE_DIR/bench/data/evidence/full)\n"
          "  --sweeps N    data seeds per synthetic cell (default 5; 4 cells)\n"
          "  --fit-x-min X         real curves: fit range [X, 1] (default 0.2)\n"
          "  --window-from-half    real curves: align on [max(warmup, x/2), x]\n");
      return 0;
    } else if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--evidence" && i + 1 < argc) {
      evidence = argv[++i];
    } else if (a == "--fit-x-min" && i + 1 < argc) {
      real_options.fit_x_min = std::atof(argv[++i]);
    } else if (a == "--window-from-half") {
      real_options.window_from_half = true;
    } else if (a == "--sweeps" && i + 1 < argc) {
      sweeps = std::atoi(argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      const std::string o = argv[++i];
      synthetic = o == "synthetic";
      real = o == "real";
      speed = o == "speed";
      example = o == "example";
      evidence_on = o == "evidence";
    } else {
      std::fprintf(stderr, "bench_predictor: unknown argument %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  if (data.empty()) {
    const char* src = std::getenv("AUGUR_SOURCE_DIR");
    data = std::string(src ? src : ".") + "/../shared/data/multipowerlaw-luo2025";
  }
  if (evidence.empty()) {
    const char* src = std::getenv("AUGUR_SOURCE_DIR");
    evidence = std::string(src ? src : ".") + "/bench/data/evidence/full";
  }
  int rc = 0;
  if (example) augur::bench::PrintExampleSweep();
  if (speed) rc |= augur::bench::RunSpeedSection();
  if (synthetic) rc |= augur::bench::RunSyntheticSection(sweeps);
  if (real) rc |= augur::bench::RunLuoSection(data, real_options);
  if (evidence_on) rc |= augur::bench::RunEvidenceSection(evidence);
  augur::bench::PrintDefaultsSummary();
  return rc;
}
