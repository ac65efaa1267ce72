// augur-predict: offline fit / predict / replay on curve CSV files (see --help).
#include <iostream>
#include <string>
#include <vector>

#include "predictor/tool.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return augur::predictor::RunPredictTool(args, std::cout, std::cerr);
}
