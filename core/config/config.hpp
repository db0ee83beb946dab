#pragma once
// The server's configuration, loaded from YAML and checked against the core
// schema (core/config/core_schema.cpp) before any value is read. Every key is
// described in docs/configuration.md.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/json.hpp"
#include "core/config/yaml_document.hpp"

namespace portcullis::config {

using Millis = std::chrono::milliseconds;

struct ServerConfig {
  std::string listenHost = "127.0.0.1";
  uint16_t listenPort = 8080;
  std::string mcpPath = "/mcp";
  std::vector<std::string> allowedOrigins;  // exact origins, e.g. "https://app.example.com"
  std::vector<std::string> allowedHosts;    // Host header names accepted besides loopback
  size_t maxBodyBytes = 4 * 1024 * 1024;
  int threads = 64;
  int maxQueued = 256;
  Millis keepAliveTimeout{10'000};
  Millis requestTimeout{30'000};  // whole request received within this
  bool legacySse = true;          // GET /sse + POST /messages (2024-11-05)
  std::string publicUrl;          // the URL clients use, e.g. https://mcp.example.com
  std::vector<std::string> trustedProxies;  // addresses whose X-Forwarded-* is believed
  std::string tlsCert;            // PEM files; both set = serve HTTPS
  std::string tlsKey;
};

struct StreamsConfig {
  Millis heartbeat{15'000};
  Millis retry{2'000};
  size_t maxQueuedBytes = 1024 * 1024;  // per stream; a slower reader is dropped
  size_t maxStreams = 20'000;
  size_t history = 256;  // events kept per stream for Last-Event-ID
};

struct SessionsConfig {
  Millis idleTimeout{30 * 60'000};
  size_t max = 10'000;
  Millis clientRequestTimeout{60'000};
};

struct McpConfig {
  std::string serverName = "portcullis";
  std::string instructions;
  Millis listTtl{60'000};
  size_t pageSize = 1000;
  bool validateArguments = true;
};

// A client registered by the operator instead of by the client itself.
struct ConfiguredClient {
  std::string clientId;
  std::string name;
  std::vector<std::string> redirectUris;
  std::string secret;  // empty for a public client
  std::vector<std::string> grantTypes;
  std::string scope;
  bool systemManaged = false;
};

struct CimdConfig {
  bool enabled = true;
  std::vector<std::string> allowHosts;  // development: hosts allowed to resolve to private addresses
  std::string caFile;                   // development: an extra CA for client metadata documents
  Millis timeout{5'000};
  size_t maxBytes = 5 * 1024;
};

struct AuthConfig {
  bool enabled = false;  // no `auth:` section = no sign-in (open)
  std::string identity;  // the identity plugin's name
  std::string signingAlg = "ES256";
  Millis accessTokenTtl{3'600'000};
  Millis refreshTokenTtl{14LL * 86'400'000};
  Millis codeTtl{60'000};
  Millis consentTtl{30LL * 86'400'000};
  Millis sessionTtl{12LL * 3'600'000};
  std::string secretKeyFile;  // default <data_dir>/secret.key; PORTCULLIS_SECRET_KEY wins
  bool allowRegistration = true;  // RFC 7591 dynamic client registration
  size_t maxRegistrationBytes = 16 * 1024;
  CimdConfig cimd;
  std::vector<ConfiguredClient> clients;
};

struct StorageConfig {
  std::string path;  // default <data_dir>/portcullis.db
  std::string synchronous = "FULL";
};

struct TasksConfig {
  bool enabled = true;
  Millis ttl{3'600'000};
  Millis pollInterval{500};
  Millis syncWindow{100};
  int workers = 64;
  size_t max = 10'000;
};

// The audit log of access decisions; it lives in the database, so it exists
// only while sign-in is on (docs/audit.md).
struct AuditConfig {
  bool enabled = true;
  Millis retention{90LL * 86'400'000};
  size_t queue = 10'000;  // decisions waiting to be written; beyond it they are dropped and counted
};

struct PluginDecl {
  std::string name;     // unique instance name
  std::string kind;     // primitives | connector | identity
  std::string library;  // file name or path
  common::json::Value config;
  std::string path;  // "plugins[2]", for messages
  int line = 0;
};

// The authorization policy as written: inline under `policy:`, or in the
// file `policy.file` names (relative to the configuration file). The policy
// module compiles it; lines for its messages come from `document`.
struct PolicySection {
  bool present = false;
  common::json::Value value;
  std::string source;      // the file that holds it
  std::string pathPrefix;  // "policy." when inline, "" in its own file
  YamlDocument document;   // the document that holds it, for lines
};

// Reads a policy file: the policy at the top level, or under `policy:` (so a
// whole configuration file may be given too). Throws common::ConfigError.
PolicySection loadPolicyFile(const std::string& path);

struct Config {
  std::string source;  // file name, or "<embedded>"
  ServerConfig server;
  StreamsConfig streams;
  SessionsConfig sessions;
  McpConfig mcp;
  TasksConfig tasks;
  AuthConfig auth;
  StorageConfig storage;
  AuditConfig audit;
  std::string dataDir = "./var";
  std::string logLevel = "info";
  std::vector<std::string> pluginDirs;
  std::vector<PluginDecl> plugins;
  PolicySection policy;
  YamlDocument document;  // kept so later checks can report lines
};

// Throws common::ConfigError listing every problem.
Config loadConfigText(const std::string& text, const std::string& source);
Config loadConfigFile(const std::string& path);

// "host:port"; IPv6 as "[::1]:8080". Returns false when malformed.
bool parseListen(const std::string& text, std::string& host, uint16_t& port);

// The JSON Schema every configuration file is checked against.
const std::string& coreSchemaText();

}  // namespace portcullis::config
