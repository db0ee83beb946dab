#pragma once
// What the commands that work on a configuration's database share (users,
// tokens, clients, keys, policy): opening the configuration and its
// database, the configuration's policy, and how failures are reported.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/app/arguments.hpp"
#include "core/config/config.hpp"
#include "core/policy/policy.hpp"
#include "core/storage/database.hpp"

namespace portcullis::app {

inline constexpr int kExitFailure = 1;

// What every command needs: the configuration and its database.
struct Admin {
  config::Config config;
  std::unique_ptr<storage::Database> db;
};

// The configuration of --config (see loadConfig), or the one given, and its
// database. Throws common::StartupError when the configuration has no sign-in.
Admin openAdmin(const Parsed& p);
Admin openAdmin(config::Config config);

// The configuration's policy (the open default without a policy section),
// its scopes made known to the scope functions of core/oauth as the server
// does at start-up. Throws common::ConfigError.
policy::Policy loadPolicy(const config::Config& config);

// The scopes of a --scopes value (separated by spaces or commas), each one
// offered by this server (call loadPolicy first); sets `problem` otherwise.
std::vector<std::string> parseScopes(const std::string& text, std::string& problem);

// Runs `body` and reports what it throws on standard error: a configuration
// error as it is and a start-up error (no sign-in, no database) as
// "portcullis COMMAND: ...", both exit 78; any other exception the same way
// with the exit status `otherwise`.
int reportingErrors(const std::string& command, const std::function<int()>& body,
                    int otherwise = kExitFailure);

// "portcullis COMMAND: MESSAGE" on standard error; returns kExitFailure.
int fail(const std::string& command, const std::string& message);
// MESSAGE and the command's help on standard error; returns kExitUsage.
int usage(const std::string& message, const char* help);

// Items separated by commas, "-" when there are none.
std::string joined(const std::vector<std::string>& items);

}  // namespace portcullis::app
