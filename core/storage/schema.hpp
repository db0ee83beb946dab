#pragma once
// The database schema, as numbered migrations applied in order.

#include <string>
#include <vector>

namespace portcullis::storage {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;
};

const std::vector<Migration>& migrations();

}  // namespace portcullis::storage
