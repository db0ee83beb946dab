#include "core/app/admin_support.hpp"

#include <algorithm>
#include <iostream>

#include "core/app/access_control.hpp"
#include "core/common/error.hpp"
#include "core/oauth/scopes.hpp"

namespace portcullis::app {

Admin openAdmin(const Parsed& p) { return openAdmin(loadConfig(p)); }

Admin openAdmin(config::Config config) {
  Admin admin{std::move(config), nullptr};
  if (!admin.config.auth.enabled) {
    throw common::StartupError(
        "the configuration " + admin.config.source +
        " has no auth section: sign-in is off, so there are no users, tokens or clients");
  }
  try {
    admin.db = std::make_unique<storage::Database>(
        storage::StorageOptions{admin.config.storage.path, admin.config.storage.synchronous});
  } catch (const storage::DatabaseError& e) {
    throw common::StartupError(std::string("cannot open the database: ") + e.what());
  }
  return admin;
}

policy::Policy loadPolicy(const config::Config& config) {
  policy::Policy compiled = compilePolicy(config.policy);
  std::vector<oauth::ScopeInfo> scopes;
  for (const auto& s : compiled.scopes()) scopes.push_back({s.name, s.description});
  oauth::setPolicyScopes(std::move(scopes));
  return compiled;
}

std::vector<std::string> parseScopes(const std::string& text, std::string& problem) {
  std::string spaced = text;
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  const auto offered = oauth::mcpScopes();
  std::vector<std::string> scopes;
  for (const auto& s : oauth::splitScopes(spaced)) {
    const bool known = std::any_of(offered.begin(), offered.end(),
                                   [&](const oauth::ScopeInfo& info) { return info.name == s; });
    if (!known) {
      std::string all;
      for (const auto& info : offered) all += " " + info.name;
      problem = "unknown scope \"" + s + "\"; the scopes are" + all;
      return {};
    }
    scopes.push_back(s);
  }
  if (scopes.empty()) problem = "--scopes is empty";
  return scopes;
}

int reportingErrors(const std::string& command, const std::function<int()>& body, int otherwise) {
  try {
    return body();
  } catch (const common::ConfigError& e) {
    std::cerr << e.what() << std::endl;
    return common::kExitConfig;
  } catch (const common::StartupError& e) {
    std::cerr << "portcullis " << command << ": " << e.what() << std::endl;
    return common::kExitConfig;
  } catch (const std::exception& e) {
    std::cerr << "portcullis " << command << ": " << e.what() << std::endl;
    return otherwise;
  }
}

int fail(const std::string& command, const std::string& message) {
  std::cerr << "portcullis " << command << ": " << message << std::endl;
  return kExitFailure;
}

int usage(const std::string& message, const char* help) {
  std::cerr << message << "\n" << help;
  return kExitUsage;
}

std::string joined(const std::vector<std::string>& items) {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace portcullis::app
