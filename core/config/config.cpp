#include "core/config/config.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/common/error.hpp"
#include "core/common/json_schema.hpp"
#include "core/common/text.hpp"

namespace portcullis::config {

namespace json = common::json;
using common::ConfigIssue;

bool parseListen(const std::string& text, std::string& host, uint16_t& port) {
  std::string portText;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    portText = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = text.substr(0, colon);
    if (host.find(':') != std::string::npos) return false;
    portText = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), value);
  if (ec != std::errc() || end != portText.data() + portText.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return !host.empty();
}

namespace {

class Reader {
 public:
  Reader(const YamlDocument& doc, std::vector<ConfigIssue>& issues) : doc_(doc), issues_(issues) {}

  json::ObjectPtr section(const std::string& name) {
    return json::getObject(json::asObject(doc_.value), name);
  }

  void string(const json::ObjectPtr& o, const char* key, std::string& target) {
    if (auto v = json::getString(o, key)) target = *v;
  }
  // The schema accepts integral numbers written as 8.0 or 1e3 too.
  template <typename T>
  void integer(const json::ObjectPtr& o, const char* key, T& target) {
    if (auto v = json::getInt(o, key)) {
      target = static_cast<T>(*v);
    } else if (auto d = json::getNumber(o, key)) {
      target = static_cast<T>(*d);
    }
  }
  void boolean(const json::ObjectPtr& o, const char* key, bool& target) {
    if (auto v = json::getBool(o, key)) target = *v;
  }
  void duration(const json::ObjectPtr& o, const char* key, Millis& target) {
    if (auto v = json::getString(o, key)) {
      if (auto d = common::parseDuration(*v)) target = *d;
    }
  }
  void strings(const json::ObjectPtr& o, const char* key, std::vector<std::string>& target) {
    if (auto array = json::getArray(o, key)) {
      target.clear();
      for (const auto& item : *array) {
        if (json::isString(item)) target.push_back(item.extract<std::string>());
      }
    }
  }
  void issue(const std::string& path, std::string message) {
    issues_.push_back({path, doc_.lineOf(path), std::move(message)});
  }

 private:
  const YamlDocument& doc_;
  std::vector<ConfigIssue>& issues_;
};

void readServer(Reader& r, ServerConfig& s) {
  auto o = r.section("server");
  if (!o) return;
  if (auto listen = json::getString(o, "listen")) {
    if (!parseListen(*listen, s.listenHost, s.listenPort)) {
      r.issue("server.listen", "must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
    }
  }
  r.string(o, "mcp_path", s.mcpPath);
  if (s.mcpPath.size() > 1 && s.mcpPath.back() == '/') s.mcpPath.pop_back();
  r.strings(o, "allowed_origins", s.allowedOrigins);
  r.strings(o, "allowed_hosts", s.allowedHosts);
  r.integer(o, "max_body_bytes", s.maxBodyBytes);
  r.integer(o, "threads", s.threads);
  r.integer(o, "max_queued", s.maxQueued);
  r.duration(o, "keep_alive_timeout", s.keepAliveTimeout);
  r.duration(o, "request_timeout", s.requestTimeout);
  r.boolean(o, "legacy_sse", s.legacySse);
  r.string(o, "public_url", s.publicUrl);
  if (!s.publicUrl.empty() && s.publicUrl.back() == '/') s.publicUrl.pop_back();
  r.strings(o, "trusted_proxies", s.trustedProxies);
  if (auto tls = json::getObject(o, "tls")) {
    r.string(tls, "cert", s.tlsCert);
    r.string(tls, "key", s.tlsKey);
  }
  if (s.legacySse && (s.mcpPath == "/sse" || s.mcpPath == "/messages")) {
    r.issue("server.mcp_path", "clashes with the legacy SSE endpoints; set server.legacy_sse: false");
  }
}

void readStreams(Reader& r, StreamsConfig& s) {
  auto o = r.section("streams");
  if (!o) return;
  r.duration(o, "heartbeat", s.heartbeat);
  r.duration(o, "retry", s.retry);
  r.integer(o, "max_queued_bytes", s.maxQueuedBytes);
  r.integer(o, "max_streams", s.maxStreams);
  r.integer(o, "history", s.history);
  if (s.heartbeat.count() < 100) r.issue("streams.heartbeat", "must be at least 100ms");
}

void readSessions(Reader& r, SessionsConfig& s) {
  auto o = r.section("sessions");
  if (!o) return;
  r.duration(o, "idle_timeout", s.idleTimeout);
  r.integer(o, "max", s.max);
  r.duration(o, "client_request_timeout", s.clientRequestTimeout);
}

void readMcp(Reader& r, McpConfig& m) {
  auto o = r.section("mcp");
  if (!o) return;
  r.string(o, "server_name", m.serverName);
  r.string(o, "instructions", m.instructions);
  r.duration(o, "list_ttl", m.listTtl);
  r.integer(o, "page_size", m.pageSize);
  r.boolean(o, "validate_arguments", m.validateArguments);
}

void readTasks(Reader& r, TasksConfig& t) {
  auto o = r.section("tasks");
  if (!o) return;
  r.boolean(o, "enabled", t.enabled);
  r.duration(o, "ttl", t.ttl);
  r.duration(o, "poll_interval", t.pollInterval);
  r.duration(o, "sync_window", t.syncWindow);
  r.integer(o, "workers", t.workers);
  r.integer(o, "max", t.max);
}

void readAuth(Reader& r, AuthConfig& a) {
  auto o = r.section("auth");
  if (!o) return;
  a.enabled = true;
  r.string(o, "identity", a.identity);
  r.string(o, "signing_alg", a.signingAlg);
  r.duration(o, "access_token_ttl", a.accessTokenTtl);
  r.duration(o, "refresh_token_ttl", a.refreshTokenTtl);
  r.duration(o, "code_ttl", a.codeTtl);
  r.duration(o, "consent_ttl", a.consentTtl);
  r.duration(o, "session_ttl", a.sessionTtl);
  r.string(o, "secret_key_file", a.secretKeyFile);
  r.boolean(o, "allow_registration", a.allowRegistration);
  r.integer(o, "max_registration_bytes", a.maxRegistrationBytes);
  if (auto c = json::getObject(o, "cimd")) {
    r.boolean(c, "enabled", a.cimd.enabled);
    r.strings(c, "allow_hosts", a.cimd.allowHosts);
    r.string(c, "ca_file", a.cimd.caFile);
    r.duration(c, "timeout", a.cimd.timeout);
    r.integer(c, "max_bytes", a.cimd.maxBytes);
  }
  if (auto clients = json::getArray(o, "clients")) {
    for (size_t i = 0; i < clients->size(); ++i) {
      auto c = json::asObject(clients->get(static_cast<unsigned>(i)));
      if (!c) continue;
      ConfiguredClient client;
      r.string(c, "client_id", client.clientId);
      r.string(c, "name", client.name);
      r.strings(c, "redirect_uris", client.redirectUris);
      r.string(c, "secret", client.secret);
      r.strings(c, "grant_types", client.grantTypes);
      if (client.grantTypes.empty()) client.grantTypes = {"authorization_code", "refresh_token"};
      r.string(c, "scope", client.scope);
      r.boolean(c, "system_managed", client.systemManaged);
      a.clients.push_back(std::move(client));
    }
  }
}

void readStorage(Reader& r, StorageConfig& s) {
  auto o = r.section("storage");
  if (!o) return;
  r.string(o, "path", s.path);
  r.string(o, "synchronous", s.synchronous);
}

void readAudit(Reader& r, AuditConfig& a) {
  auto o = r.section("audit");
  if (!o) return;
  r.boolean(o, "enabled", a.enabled);
  r.duration(o, "retention", a.retention);
  r.integer(o, "queue", a.queue);
  if (a.retention.count() < 60'000) r.issue("audit.retention", "must be at least 1m");
}

void readPlugins(Reader& r, const YamlDocument& doc, Config& config) {
  auto array = json::getArray(json::asObject(doc.value), "plugins");
  if (!array) return;
  std::set<std::string> names;
  for (size_t i = 0; i < array->size(); ++i) {
    auto o = json::asObject(array->get(static_cast<unsigned>(i)));
    if (!o) continue;
    PluginDecl decl;
    decl.path = "plugins[" + std::to_string(i) + "]";
    decl.line = doc.lineOf(decl.path);
    decl.name = json::getString(o, "name").value_or("");
    decl.kind = json::getString(o, "kind").value_or("");
    decl.library = json::getString(o, "library").value_or("");
    decl.config = o->has("config") && !json::isNull(o->get("config")) ? o->get("config")
                                                                       : json::Value(json::makeObject());
    if (!names.insert(decl.name).second) {
      r.issue(decl.path + ".name", "another plugin is already named \"" + decl.name + "\"");
    }
    config.plugins.push_back(std::move(decl));
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw common::ConfigError(path, {{"", 0, "cannot read the file"}});
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void readPolicy(Reader& r, const Config& config, PolicySection& policy) {
  auto o = r.section("policy");
  if (!o) return;
  policy.present = true;
  if (!o->has("file")) {
    policy.value = o;
    policy.source = config.source;
    policy.pathPrefix = "policy.";
    policy.document = config.document;  // its lines are the configuration's
    return;
  }
  if (o->size() != 1) r.issue("policy", "give either file or roles, scopes and rules, not both");
  std::string file;
  r.string(o, "file", file);
  if (file.empty()) {
    r.issue("policy.file", "must be the path of a YAML file");
    return;
  }
  // Relative to the configuration file, as a reader of the file expects.
  if (file[0] != '/' && config.source != "<embedded>") {
    const auto slash = config.source.find_last_of('/');
    if (slash != std::string::npos) file = config.source.substr(0, slash + 1) + file;
  }
  try {
    policy = loadPolicyFile(file);
  } catch (const common::ConfigError& e) {
    r.issue("policy.file", e.what());
  }
}

}  // namespace

PolicySection loadPolicyFile(const std::string& path) {
  PolicySection policy;
  policy.present = true;
  policy.source = path;
  policy.document = parseYaml(readFile(path), path);
  auto root = json::asObject(policy.document.value);
  if (root && root->has("policy")) {
    policy.value = root->get("policy");
    policy.pathPrefix = "policy.";
  } else {
    policy.value = policy.document.value;
  }
  return policy;
}

Config loadConfigText(const std::string& text, const std::string& source) {
  Config config;
  config.source = source;
  config.document = parseYaml(text, source);
  if (json::isNull(config.document.value)) config.document.value = json::makeObject();

  std::vector<ConfigIssue> issues;
  if (!json::isObject(config.document.value)) {
    issues.push_back({"", 1, "the configuration must be a mapping"});
    throw common::ConfigError(source, issues);
  }
  static const common::JsonSchema schema = common::JsonSchema::fromText(coreSchemaText());
  for (auto& problem : schema.validate(config.document.value)) {
    issues.push_back({problem.path, config.document.lineOf(problem.path), problem.message});
  }
  if (!issues.empty()) throw common::ConfigError(source, issues);

  Reader reader(config.document, issues);
  readServer(reader, config.server);
  readStreams(reader, config.streams);
  readSessions(reader, config.sessions);
  readMcp(reader, config.mcp);
  readTasks(reader, config.tasks);
  readAuth(reader, config.auth);
  readStorage(reader, config.storage);
  readAudit(reader, config.audit);
  auto root = json::asObject(config.document.value);
  reader.string(root, "data_dir", config.dataDir);
  // Deployments (and tests) move the state without editing the file.
  if (const char* env = std::getenv("PORTCULLIS_DATA_DIR"); env != nullptr && *env != '\0') config.dataDir = env;
  reader.strings(root, "plugin_dirs", config.pluginDirs);
  if (auto logging = json::getObject(root, "logging")) {
    reader.string(logging, "level", config.logLevel);
  }
  readPlugins(reader, config.document, config);
  readPolicy(reader, config, config.policy);
  if (config.storage.path.empty()) config.storage.path = config.dataDir + "/portcullis.db";
  if (config.auth.secretKeyFile.empty()) config.auth.secretKeyFile = config.dataDir + "/secret.key";
  if (config.auth.enabled) {
    bool found = false;
    for (const auto& p : config.plugins) found = found || (p.name == config.auth.identity && p.kind == "identity");
    if (!found) {
      reader.issue("auth.identity", "no identity plugin named \"" + config.auth.identity + "\" is declared");
    }
  }
  if (!issues.empty()) throw common::ConfigError(source, issues);
  return config;
}

Config loadConfigFile(const std::string& path) { return loadConfigText(readFile(path), path); }

}  // namespace portcullis::config
