// The http connector: REST operations, declared by hand in YAML or taken
// from an OpenAPI 3 document, served as MCP tools. Each call becomes one
// HTTP request to the configured backend and its reply one tool result.

#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <Poco/URI.h>

#include <portcullis/sdk.hpp>

#include "connector_config.hpp"
#include "document_text.hpp"
#include "http_client.hpp"
#include "openapi.hpp"

using namespace portcullis::sdk;

namespace portcullis::http {

namespace {

constexpr const char* kConfigSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "base_url": {"type": "string", "minLength": 1, "description": "http(s) URL the operations' paths are relative to; default servers[0].url of the OpenAPI document"},
    "prefix": {"type": "string", "maxLength": 63, "pattern": "^[A-Za-z0-9_.-]*$", "description": "Prepended to every tool name"},
    "headers": {
      "type": "object",
      "description": "Static headers sent with every request",
      "additionalProperties": {
        "anyOf": [
          {"type": "string"},
          {"type": "object", "additionalProperties": false, "required": ["env"], "properties": {"env": {"type": "string", "minLength": 1}}},
          {"type": "object", "additionalProperties": false, "required": ["file"], "properties": {"file": {"type": "string", "minLength": 1}}}
        ]
      }
    },
    "timeouts": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "connect": {"type": "string", "format": "duration"},
        "request": {"type": "string", "format": "duration"}
      }
    },
    "max_response_bytes": {"type": "integer", "minimum": 1, "maximum": 1073741824},
    "operations": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "path"],
        "properties": {
          "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
          "description": {"type": "string"},
          "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
                              "get", "post", "put", "patch", "delete", "head", "options"]},
          "path": {"type": "string", "minLength": 1},
          "input_schema": {"type": "object"},
          "query": {"type": "array", "items": {"type": "string", "minLength": 1}},
          "body": {"type": "string", "minLength": 1},
          "response": {"enum": ["text", "structured"]}
        }
      }
    },
    "openapi": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "file": {"type": "string", "minLength": 1},
        "url": {"type": "string", "minLength": 1},
        "include": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "exclude": {"type": "array", "items": {"type": "string", "minLength": 1}}
      }
    },
    "identity": {
      "type": "object",
      "additionalProperties": false,
      "required": ["assertion"],
      "properties": {
        "assertion": {
          "type": "object",
          "additionalProperties": false,
          "required": ["audience"],
          "properties": {
            "audience": {"type": "string", "minLength": 1},
            "header": {"type": "string", "minLength": 1},
            "scheme": {"type": "string"},
            "ttl": {"type": "string", "format": "duration"}
          }
        }
      }
    }
  }
})";

// An OpenAPI document on disk larger than this is refused.
constexpr std::streamoff kMaxDocumentFileBytes = 64 * 1024 * 1024;

// The longest identity assertion the server issues.
constexpr int64_t kMaxAssertionTtlMs = 300'000;

struct Assertion {
  std::string audience;
  std::string header;
  std::string scheme;
  int64_t ttlMs;
};

std::string readDocumentFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("openapi.file: cannot read " + path);
  in.seekg(0, std::ios::end);
  if (in.tellg() > kMaxDocumentFileBytes) throw ConfigError("openapi.file: " + path + " is larger than 64 MiB");
  in.seekg(0);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

class HttpConnector : public PrimitiveProvider {
 public:
  HttpConnector(const Json& config, Host host) : PrimitiveProvider(host) {
    const std::string prefix = config.value("prefix", std::string());
    ClientLimits limits;
    const Json timeouts = config.value("timeouts", Json::object());
    if (timeouts.contains("connect")) limits.connectTimeout = parseDuration(timeouts["connect"], "timeouts.connect");
    if (timeouts.contains("request")) limits.requestTimeout = parseDuration(timeouts["request"], "timeouts.request");
    limits.maxResponseBytes = config.value("max_response_bytes", limits.maxResponseBytes);
    staticHeaders_ = resolveHeaders(config.value("headers", Json::object()));
    readAssertion(config);

    std::vector<Operation> operations;
    for (const auto& entry : config.value("operations", Json::array())) {
      operations.push_back(operationFromConfig(entry, prefix));
    }
    std::string baseUrl = config.value("base_url", std::string());
    if (config.contains("openapi")) {
      OpenApiTools generated = loadOpenApi(config["openapi"], prefix, limits, baseUrl.empty());
      for (const auto& warning : generated.warnings) this->host().log(LogLevel::Warning, "openapi: " + warning);
      if (baseUrl.empty()) baseUrl = generated.serverUrl;
      for (auto& op : generated.operations) operations.push_back(std::move(op));
    }
    if (!config.contains("operations") && !config.contains("openapi")) {
      throw ConfigError("declare operations, an openapi document, or both");
    }
    if (baseUrl.empty()) {
      throw ConfigError("base_url is not set and the OpenAPI document names no servers[0].url");
    }
    client_ = std::make_unique<HttpClient>(BaseUrl::parse(baseUrl), limits);

    std::set<std::string> names;
    for (const auto& op : operations) {
      if (!names.insert(op.toolName).second) throw ConfigError("two tools are named \"" + op.toolName + "\"");
    }
    for (auto& op : operations) addOperation(std::move(op));
  }

 private:
  void readAssertion(const Json& config) {
    if (!config.contains("identity")) return;
    const Json& a = config["identity"]["assertion"];
    assertion_ = Assertion{a["audience"].get<std::string>(), a.value("header", std::string("Authorization")),
                           a.value("scheme", std::string("Bearer")),
                           a.contains("ttl") ? parseDuration(a["ttl"], "identity.assertion.ttl").count() : 60'000};
    if (assertion_->ttlMs > kMaxAssertionTtlMs) throw ConfigError("identity.assertion.ttl: at most 5m");
    if (!isHeaderName(assertion_->header)) {
      throw ConfigError("identity.assertion.header: \"" + assertion_->header + "\" is not a valid header name");
    }
    if (!isSafeHeaderValue(assertion_->scheme)) throw ConfigError("identity.assertion.scheme: contains CR, LF or NUL");
  }

  // needServer: base_url is not set, so the document's servers[0].url must serve.
  OpenApiTools loadOpenApi(const Json& openapi, const std::string& prefix, ClientLimits limits, bool needServer) {
    const bool hasFile = openapi.contains("file");
    if (hasFile == openapi.contains("url")) throw ConfigError("openapi: set exactly one of file and url");
    std::string text;
    std::string source;
    if (hasFile) {
      source = openapi["file"].get<std::string>();
      text = readDocumentFile(source);
    } else {
      source = openapi["url"].get<std::string>();
      IncomingResponse reply;
      try {
        reply = HttpClient::fetch(source, limits);
      } catch (const TransportError& e) {
        throw ConfigError("openapi.url: " + std::string(e.what()));
      }
      if (reply.status != 200) {
        throw ConfigError("openapi.url: " + source + " answered HTTP " + std::to_string(reply.status));
      }
      text = std::move(reply.body);
    }
    OpenApiOptions options;
    options.prefix = prefix;
    options.include = openapi.value("include", std::vector<std::string>());
    options.exclude = openapi.value("exclude", std::vector<std::string>());
    OpenApiTools tools;
    try {
      tools = toolsFromOpenApi(parseDocumentText(text, source), options);
    } catch (const ConfigError& e) {
      throw ConfigError("openapi " + source + ": " + e.what());
    }
    // A relative server URL is relative to where the document came from.
    if (needServer && !tools.serverUrl.empty() && tools.serverUrl.find("://") == std::string::npos) {
      if (hasFile) {
        throw ConfigError("openapi: servers[0].url \"" + tools.serverUrl + "\" is relative; set base_url");
      }
      Poco::URI resolved(source);
      resolved.resolve(tools.serverUrl);
      tools.serverUrl = resolved.toString();
    }
    return tools;
  }

  void addOperation(Operation op) {
    Json definition{{"name", op.toolName}, {"inputSchema", op.inputSchema}};
    if (!op.description.empty()) definition["description"] = op.description;
    const bool readOnly = op.method == "GET" || op.method == "HEAD" || op.method == "OPTIONS";
    definition["annotations"] = {{"readOnlyHint", readOnly}, {"openWorldHint", true}};
    addTool(std::move(definition), [this, op = std::move(op)](const Json& arguments, Call& call) {
      return callOperation(op, arguments, call);
    });
  }

  Json callOperation(const Operation& op, const Json& arguments, Call& call) {
    const OutgoingRequest request = buildRequest(op, arguments, client_->base().path);
    auto headers = staticHeaders_;
    if (assertion_) {
      const std::string token = call.identityAssertion(assertion_->audience, assertion_->ttlMs);
      headers.emplace_back(assertion_->header, assertion_->scheme.empty() ? token : assertion_->scheme + " " + token);
    }
    try {
      return mapResponse(client_->send(request, headers), op.response);
    } catch (const TransportError& e) {
      return errorResult(op.method + " " + request.target + ": " + e.what());
    }
  }

  std::vector<std::pair<std::string, std::string>> staticHeaders_;
  std::optional<Assertion> assertion_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace portcullis::http

PORTCULLIS_PLUGIN(portcullis::http::HttpConnector, PC_KIND_CONNECTOR, "http", "1.0.0",
                  portcullis::http::kConfigSchema)
