#include "core/common/error.hpp"

namespace portcullis::common {

namespace {
std::string describe(const std::string& file, const std::vector<ConfigIssue>& issues) {
  std::string text;
  for (const auto& issue : issues) {
    if (!text.empty()) text += '\n';
    text += file;
    if (issue.line > 0) text += ":" + std::to_string(issue.line);
    text += ": ";
    if (!issue.path.empty()) text += issue.path + ": ";
    text += issue.message;
  }
  return text;
}
}  // namespace

ConfigError::ConfigError(std::string file, std::vector<ConfigIssue> issues)
    : StartupError(describe(file, issues)), file_(std::move(file)), issues_(std::move(issues)) {}

}  // namespace portcullis::common
