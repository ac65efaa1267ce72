// augur: the command-line client. Everything lives in the augur_cli library; see command.h.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return augur::cli::MakeAugurCommands().Run(args, std::cout, std::cerr, &std::getenv);
}
