#pragma once
// The connector's configuration, read from the JSON its schema validated:
// durations, the stdio command line, header values from the environment or
// files, and every other key with its default.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <portcullis/sdk/errors.hpp>

#include "client_credentials.hpp"

namespace portcullis::mcp_upstream {

using Json = sdk::Json;
using Millis = std::chrono::milliseconds;

enum class TransportKind { Stdio, Auto, StreamableHttp, Sse };
enum class WhenDown { Error, Hide };

struct ToolOverride {
  std::optional<std::string> name;
  std::optional<std::string> description;
};

struct IdentitySettings {
  std::string audience;
  std::string header = "Authorization";
  std::string scheme = "Bearer";
  Millis ttl{60'000};
};

struct Settings {
  // stdio
  std::vector<std::string> argv;  // program and its arguments
  std::map<std::string, std::string> env;
  std::string cwd;
  // HTTP
  std::string url;
  TransportKind transport = TransportKind::Stdio;
  std::map<std::string, std::string> headers;  // resolved values
  size_t pool = 16;
  std::optional<IdentitySettings> identity;
  // The connector's own OAuth client at the upstream's authorization server.
  std::optional<ClientCredentialsSettings> clientCredentials;
  // Users' own accounts at the upstream (linked through the gateway): the
  // account as declared to the host (pc_host.declare_account).
  std::optional<Json> userOAuth;
  // The Authorization of the connector's own requests, shared by every copy
  // of the settings and every connection: set when clientCredentials is
  // (here) or userOAuth is (by the connector, which has the host).
  std::shared_ptr<ConnectorCredentials> credentials;

  std::string protocol = "auto";
  std::string prefix;
  std::vector<std::string> include{"*"};
  std::vector<std::string> exclude;
  std::map<std::string, ToolOverride> tools;

  Millis connectTimeout{5'000};
  Millis requestTimeout{60'000};
  Millis restartInitial{1'000};
  Millis restartMax{30'000};
  int breakerFailures = 5;
  Millis breakerReset{30'000};
  WhenDown whenDown = WhenDown::Error;
  // A tool whose definition differs from the pinned one is audited, and with
  // this also hidden until `portcullis connectors approve`.
  bool hideChangedDefinitions = false;

  bool stdio() const { return transport == TransportKind::Stdio; }
};

// The JSON Schema the plugin ships (unknown keys rejected).
extern const char* const kConfigSchema;

// Reads the config; throws std::invalid_argument naming the bad key.
Settings parseSettings(const Json& config);

// "250ms", "15s", "10m", "1h" (a non-negative integer and a unit).
Millis parseDuration(const std::string& text);

// Splits a command line into words: blanks separate words, double or single
// quotes group them (a backslash escapes the next character inside double
// quotes and outside quotes). No other shell processing.
std::vector<std::string> splitCommandLine(const std::string& line);

}  // namespace portcullis::mcp_upstream
