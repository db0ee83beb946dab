#include <string>
#include <vector>

#include "core/app/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return portcullis::app::runCli(args);
}
