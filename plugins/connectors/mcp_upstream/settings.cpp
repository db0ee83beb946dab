#include "settings.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <portcullis/sdk/text.hpp>

namespace portcullis::mcp_upstream {

const char* const kConfigSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "oneOf": [{"required": ["command"]}, {"required": ["url"]}],
  "$defs": {
    "duration": {"type": "string", "format": "duration", "pattern": "^[0-9]+(ms|s|m|h)$"},
    "headerValue": {
      "oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": false, "required": ["env"],
         "properties": {"env": {"type": "string", "minLength": 1}}},
        {"type": "object", "additionalProperties": false, "required": ["file"],
         "properties": {"file": {"type": "string", "minLength": 1}}}
      ]
    }
  },
  "properties": {
    "command": {"type": "string", "minLength": 1, "description": "The stdio upstream's program, or its whole command line when args is absent."},
    "args": {"type": "array", "items": {"type": "string"}},
    "env": {"type": "object", "additionalProperties": {"type": "string"}},
    "cwd": {"type": "string", "minLength": 1},
    "url": {"type": "string", "pattern": "^https?://", "description": "The HTTP upstream's MCP endpoint."},
    "transport": {"enum": ["auto", "streamable_http", "sse"]},
    "protocol": {"enum": ["auto", "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"]},
    "label": {"type": "string", "minLength": 1, "description": "How error messages name this upstream."},
    "prefix": {"type": "string"},
    "include": {"type": "array", "items": {"type": "string"}},
    "exclude": {"type": "array", "items": {"type": "string"}},
    "tools": {
      "type": "object",
      "additionalProperties": {
        "type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string", "minLength": 1}, "description": {"type": "string"}}
      }
    },
    "headers": {"type": "object", "additionalProperties": {"$ref": "#/$defs/headerValue"}},
    "timeouts": {
      "type": "object", "additionalProperties": false,
      "properties": {"connect": {"$ref": "#/$defs/duration"}, "request": {"$ref": "#/$defs/duration"}}
    },
    "pool": {"type": "integer", "minimum": 1, "maximum": 64},
    "restart": {
      "type": "object", "additionalProperties": false,
      "properties": {"initial": {"$ref": "#/$defs/duration"}, "max": {"$ref": "#/$defs/duration"}}
    },
    "circuit_breaker": {
      "type": "object", "additionalProperties": false,
      "properties": {"failures": {"type": "integer", "minimum": 1}, "reset": {"$ref": "#/$defs/duration"}}
    },
    "when_down": {"enum": ["error", "hide"]},
    "definition_changes": {"enum": ["audit", "hide"]},
    "auth": {
      "type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1,
      "properties": {
        "user_oauth": {
          "type": "object", "additionalProperties": false,
          "properties": {
            "title": {"type": "string", "minLength": 1},
            "issuer": {"type": "string", "minLength": 1},
            "authorization_endpoint": {"type": "string", "minLength": 1},
            "token_endpoint": {"type": "string", "minLength": 1},
            "revocation_endpoint": {"type": "string", "minLength": 1},
            "client_id": {"type": "string", "minLength": 1},
            "client_secret": {"$ref": "#/$defs/headerValue"},
            "scopes": {"type": "array", "items": {"type": "string", "minLength": 1}}
          }
        },
        "client_credentials": {
          "type": "object", "additionalProperties": false,
          "required": ["token_url", "client_id", "client_secret"],
          "properties": {
            "token_url": {"type": "string", "minLength": 1},
            "client_id": {"type": "string", "minLength": 1},
            "client_secret": {"$ref": "#/$defs/headerValue"},
            "scope": {"type": "string"},
            "resource": {"type": "string"},
            "method": {"enum": ["client_secret_basic", "client_secret_post"]}
          }
        }
      }
    },
    "identity": {
      "type": "object", "additionalProperties": false, "required": ["assertion"],
      "properties": {
        "assertion": {
          "type": "object", "additionalProperties": false, "required": ["audience"],
          "properties": {
            "audience": {"type": "string", "minLength": 1},
            "header": {"type": "string", "minLength": 1},
            "scheme": {"type": "string"},
            "ttl": {"$ref": "#/$defs/duration"}
          }
        }
      }
    }
  }
})";

namespace {

// `auth` sets the Authorization header: nothing else may.
void authorizationIsFree(const Settings& s, const std::string& key) {
  for (const auto& [header, value] : s.headers) {
    if (sdk::equalsIgnoringCase(header, "Authorization"))
      throw std::invalid_argument(key + " and headers both set Authorization; remove one");
  }
  if (s.identity && sdk::equalsIgnoringCase(s.identity->header, "Authorization"))
    throw std::invalid_argument("auth and identity.assertion both want the Authorization header; "
                                "give the assertion another header");
}


std::string readSecretFile(const std::string& name, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(name + ": cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

std::string headerValue(const std::string& name, const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.contains("env")) {
    const std::string variable = value["env"].get<std::string>();
    const char* set = std::getenv(variable.c_str());
    if (set == nullptr)
      throw std::invalid_argument(name + ": environment variable " + variable +
                                  " is not set");
    return set;
  }
  return readSecretFile(name, value["file"].get<std::string>());
}

Millis durationAt(const Json& object, const char* key, Millis fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return parseDuration(object[key].get<std::string>());
}

std::vector<std::string> strings(const Json& config, const char* key,
                                 std::vector<std::string> fallback) {
  if (!config.contains(key)) return fallback;
  return config[key].get<std::vector<std::string>>();
}

}  // namespace

Millis parseDuration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) throw std::invalid_argument("not a duration: \"" + text + "\"");
  const long long count = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit == "ms") return Millis(count);
  if (unit == "s") return Millis(count * 1000);
  if (unit == "m") return Millis(count * 60'000);
  if (unit == "h") return Millis(count * 3'600'000);
  throw std::invalid_argument("not a duration: \"" + text + "\" (use ms, s, m or h)");
}

std::vector<std::string> splitCommandLine(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool inWord = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\'))
        word += line[++i];
      else
        word += c;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (inWord) words.push_back(std::move(word));
      word.clear();
      inWord = false;
    } else {
      inWord = true;
      if (c == '"' || c == '\'')
        quote = c;
      else if (c == '\\' && i + 1 < line.size())
        word += line[++i];
      else
        word += c;
    }
  }
  if (quote != 0) throw std::invalid_argument("command: unterminated quote");
  if (inWord) words.push_back(std::move(word));
  return words;
}

Settings parseSettings(const Json& config) {
  if (!config.is_object()) throw std::invalid_argument("config must be an object");
  Settings s;
  const bool hasCommand = config.contains("command");
  const bool hasUrl = config.contains("url");
  if (hasCommand == hasUrl) throw std::invalid_argument("give exactly one of command and url");
  if (hasCommand) {
    const std::string command = config["command"].get<std::string>();
    if (config.contains("args")) {
      s.argv.push_back(command);
      for (const auto& arg : config["args"]) s.argv.push_back(arg.get<std::string>());
    } else {
      s.argv = splitCommandLine(command);
    }
    if (s.argv.empty() || s.argv[0].empty()) throw std::invalid_argument("command: empty");
    if (config.contains("env")) s.env = config["env"].get<std::map<std::string, std::string>>();
    s.cwd = config.value("cwd", std::string());
    for (const char* httpOnly : {"transport", "headers", "pool", "identity", "auth"}) {
      if (config.contains(httpOnly))
        throw std::invalid_argument(std::string(httpOnly) + ": only for an HTTP upstream (url)");
    }
  } else {
    s.url = config["url"].get<std::string>();
    if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) {
      throw std::invalid_argument("url: must start with http:// or https://");
    }
    for (const char* stdioOnly : {"args", "env", "cwd"}) {
      if (config.contains(stdioOnly))
        throw std::invalid_argument(std::string(stdioOnly) +
                                    ": only for a stdio upstream (command)");
    }
    const std::string transport = config.value("transport", std::string("auto"));
    s.transport = transport == "sse"               ? TransportKind::Sse
                  : transport == "streamable_http" ? TransportKind::StreamableHttp
                                                   : TransportKind::Auto;
    if (config.contains("headers")) {
      for (const auto& [name, value] : config["headers"].items())
        s.headers[name] = headerValue("headers." + name, value);
    }
    s.pool = config.value("pool", 16);
    if (config.contains("identity")) {
      const Json& a = config["identity"]["assertion"];
      IdentitySettings id;
      id.audience = a["audience"].get<std::string>();
      id.header = a.value("header", id.header);
      id.scheme = a.value("scheme", id.scheme);
      id.ttl = durationAt(a, "ttl", id.ttl);
      s.identity = id;
    }
    if (config.contains("auth") && config["auth"].contains("user_oauth")) {
      const Json& u = config["auth"]["user_oauth"];
      Json account = Json::object();
      account["resource"] = s.url;
      for (const char* key : {"title", "issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint",
                              "client_id"}) {
        if (u.contains(key)) account[key] = u[key];
      }
      for (const char* key : {"authorization_endpoint", "token_endpoint", "revocation_endpoint", "issuer"}) {
        const std::string value = account.value(key, std::string("https://"));
        if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0)
          throw std::invalid_argument(std::string("auth.user_oauth.") + key + ": must start with http:// or https://");
      }
      if (u.contains("authorization_endpoint") != u.contains("token_endpoint"))
        throw std::invalid_argument("auth.user_oauth: give both authorization_endpoint and token_endpoint, or neither");
      if (u.contains("client_secret")) {
        if (!u.contains("client_id")) throw std::invalid_argument("auth.user_oauth.client_secret: needs client_id");
        account["client_secret"] = headerValue("auth.user_oauth.client_secret", u["client_secret"]);
      }
      if (u.contains("scopes")) account["scopes"] = u["scopes"];
      authorizationIsFree(s, "auth.user_oauth");
      s.userOAuth = account;
    } else if (config.contains("auth")) {
      const Json& c = config["auth"]["client_credentials"];
      ClientCredentialsSettings cc;
      cc.tokenUrl = c["token_url"].get<std::string>();
      if (cc.tokenUrl.rfind("http://", 0) != 0 && cc.tokenUrl.rfind("https://", 0) != 0)
        throw std::invalid_argument("auth.client_credentials.token_url: must start with http:// or https://");
      cc.clientId = c["client_id"].get<std::string>();
      cc.clientSecret = headerValue("auth.client_credentials.client_secret", c["client_secret"]);
      cc.scope = c.value("scope", std::string());
      cc.resource = c.value("resource", std::string());
      cc.basic = c.value("method", std::string("client_secret_basic")) == "client_secret_basic";
      authorizationIsFree(s, "auth.client_credentials");
      s.clientCredentials = cc;
    }
  }
  s.protocol = config.value("protocol", s.protocol);
  s.prefix = config.value("prefix", std::string());
  s.include = strings(config, "include", s.include);
  s.exclude = strings(config, "exclude", s.exclude);
  if (config.contains("tools")) {
    for (const auto& [name, value] : config["tools"].items()) {
      ToolOverride o;
      if (value.contains("name")) o.name = value["name"].get<std::string>();
      if (value.contains("description")) o.description = value["description"].get<std::string>();
      s.tools[name] = o;
    }
  }
  const Json timeouts = config.value("timeouts", Json::object());
  s.connectTimeout = durationAt(timeouts, "connect", s.connectTimeout);
  s.requestTimeout = durationAt(timeouts, "request", s.requestTimeout);
  const Json restart = config.value("restart", Json::object());
  s.restartInitial = durationAt(restart, "initial", s.restartInitial);
  s.restartMax = durationAt(restart, "max", s.restartMax);
  if (s.restartMax < s.restartInitial)
    throw std::invalid_argument("restart.max is shorter than restart.initial");
  const Json breaker = config.value("circuit_breaker", Json::object());
  s.breakerFailures = breaker.value("failures", s.breakerFailures);
  s.breakerReset = durationAt(breaker, "reset", s.breakerReset);
  s.whenDown =
      config.value("when_down", std::string("error")) == "hide" ? WhenDown::Hide : WhenDown::Error;
  s.hideChangedDefinitions = config.value("definition_changes", std::string("audit")) == "hide";
  if (s.clientCredentials) {
    s.credentials = std::make_shared<ClientCredentials>(*s.clientCredentials, s.connectTimeout, s.requestTimeout);
  }
  return s;
}

}  // namespace portcullis::mcp_upstream
