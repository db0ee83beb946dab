#include "openapi.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <portcullis/sdk/text.hpp>

#include "request_mapping.hpp"
#include "response_mapping.hpp"

namespace portcullis::http {

namespace {

constexpr std::array<const char*, 8> kMethods{"get", "put", "post", "delete", "options", "head", "patch", "trace"};

bool isToolNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

class RefResolver {
 public:
  explicit RefResolver(const Json& document) : document_(document) {}

  Json resolve(const Json& node) {
    if (++nodes_ > kMaxExpandedNodes) {
      throw ConfigError("$ref expansion exceeds " + std::to_string(kMaxExpandedNodes) + " nodes");
    }
    if (node.is_array()) {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(resolve(item));
      return out;
    }
    if (!node.is_object()) return node;
    if (node.contains("$ref")) return follow(node);
    Json out = Json::object();
    for (const auto& [key, value] : node.items()) out[key] = resolve(value);
    return out;
  }

 private:
  Json follow(const Json& node) {
    const Json& ref = node["$ref"];
    if (!ref.is_string()) throw ConfigError("$ref must be a string");
    const std::string target = ref.get<std::string>();
    if (target.rfind("#/", 0) != 0) {
      throw ConfigError("$ref \"" + target + "\": only references inside the document (\"#/...\") are supported");
    }
    if (std::find(stack_.begin(), stack_.end(), target) != stack_.end()) {
      std::string chain;
      for (const auto& r : stack_) chain += r + " -> ";
      throw ConfigError("$ref cycle: " + chain + target);
    }
    if (static_cast<int>(stack_.size()) >= kMaxRefDepth) {
      throw ConfigError("$ref \"" + target + "\" nests deeper than " + std::to_string(kMaxRefDepth) + " levels");
    }
    Json::json_pointer pointer;
    try {
      pointer = Json::json_pointer(target.substr(1));
    } catch (const Json::exception&) {
      throw ConfigError("$ref \"" + target + "\" is not a valid JSON pointer");
    }
    if (!document_.contains(pointer)) throw ConfigError("$ref \"" + target + "\" points at nothing");
    stack_.push_back(target);
    Json resolved = resolve(document_.at(pointer));
    stack_.pop_back();
    // OpenAPI 3.1 allows keywords beside $ref (a description, say); keep them.
    if (resolved.is_object()) {
      for (const auto& [key, value] : node.items()) {
        if (key != "$ref") resolved[key] = resolve(value);
      }
    }
    return resolved;
  }

  const Json& document_;
  std::vector<std::string> stack_;
  size_t nodes_ = 0;
};

std::string describe(const Json& op) {
  const std::string summary = op.value("summary", std::string());
  const std::string description = op.value("description", std::string());
  if (summary.empty()) return description;
  if (description.empty() || description == summary) return summary;
  return summary + "\n\n" + description;
}

// The schema of a JSON media type in a `content` map, if there is one.
std::optional<Json> jsonSchemaOf(const Json& content) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& [type, media] : content.items()) {
    if (isJsonMediaType(type)) return media.is_object() ? media.value("schema", Json::object()) : Json::object();
  }
  return std::nullopt;
}

struct Skip {
  std::string reason;
};

Operation buildOperation(RefResolver& refs, const std::string& path, const std::string& method, const Json& pathItem,
                         const Json& rawOp, const std::string& toolName) {
  const Json op = refs.resolve(rawOp);
  Operation out;
  out.toolName = toolName;
  out.description = describe(op);
  out.method = upper(method);
  out.pathTemplate = path;

  // Path-level parameters apply unless the operation redefines (name, in).
  std::vector<Json> parameters;
  auto addParameters = [&](const Json& list) {
    if (list.is_null()) return;
    if (!list.is_array()) throw ConfigError("parameters must be an array");
    for (const auto& raw : list) {
      const Json p = refs.resolve(raw);
      if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || !p.contains("in") || !p["in"].is_string()) {
        throw ConfigError("a parameter lacks a string \"name\" or \"in\"");
      }
      auto same = [&](const Json& q) { return q["name"] == p["name"] && q["in"] == p["in"]; };
      parameters.erase(std::remove_if(parameters.begin(), parameters.end(), same), parameters.end());
      parameters.push_back(p);
    }
  };
  addParameters(pathItem.contains("parameters") ? refs.resolve(pathItem["parameters"]) : Json());
  addParameters(op.contains("parameters") ? op["parameters"] : Json());

  Json properties = Json::object();
  Json required = Json::array();
  std::set<std::string> pathParameters;
  auto addProperty = [&](const std::string& name, Json schema, bool isRequired) {
    if (properties.contains(name)) throw Skip{"two inputs are both called \"" + name + "\""};
    properties[name] = std::move(schema);
    if (isRequired) required.push_back(name);
  };
  for (const auto& p : parameters) {
    const std::string name = p["name"].get<std::string>();
    const std::string in = p["in"].get<std::string>();
    Json schema = p.contains("schema") ? p["schema"] : jsonSchemaOf(p.value("content", Json())).value_or(Json::object());
    if (!schema.is_object()) throw ConfigError("parameter \"" + name + "\": schema must be an object");
    if (p.contains("description") && !schema.contains("description")) schema["description"] = p["description"];
    const bool isRequired = p.value("required", false);
    if (in == "path") {
      pathParameters.insert(name);
      addProperty(name, std::move(schema), true);
    } else if (in == "query") {
      addProperty(name, std::move(schema), isRequired);
      out.queryArguments.push_back(name);
    } else if (in == "header") {
      const std::string lowered = sdk::toLower(name);
      // OpenAPI says these three are ignored as parameters.
      if (lowered == "accept" || lowered == "content-type" || lowered == "authorization") continue;
      if (!isHeaderName(name)) throw ConfigError("header parameter \"" + name + "\" is not a valid header name");
      addProperty(name, std::move(schema), isRequired);
      out.headerArguments[name] = name;
    } else if (in == "cookie") {
      if (isRequired) throw Skip{"cookie parameters are not supported (\"" + name + "\" is required)"};
    } else {
      throw ConfigError("parameter \"" + name + "\": unknown location \"" + in + "\"");
    }
  }
  for (const auto& variable : pathVariables(path)) {
    if (pathParameters.count(variable) == 0) {
      throw ConfigError("path variable \"{" + variable + "}\" has no path parameter");
    }
  }

  if (op.contains("requestBody")) {
    const Json& body = op["requestBody"];
    if (!body.is_object()) throw ConfigError("requestBody must be an object");
    const auto schema = jsonSchemaOf(body.value("content", Json::object()));
    const bool isRequired = body.value("required", false);
    if (schema) {
      Json bodySchema = schema->is_object() ? *schema : Json::object();
      if (body.contains("description") && !bodySchema.contains("description")) {
        bodySchema["description"] = body["description"];
      }
      addProperty("body", std::move(bodySchema), isRequired);
      out.body = BodyMode::Argument;
      out.bodyArgument = "body";
    } else if (isRequired) {
      throw Skip{"its required request body has no JSON media type"};
    }
  }

  out.inputSchema = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) out.inputSchema["required"] = std::move(required);
  checkOperation(out);
  return out;
}

std::string serverUrlOf(const Json& document) {
  const Json servers = document.value("servers", Json::array());
  if (!servers.is_array() || servers.empty() || !servers[0].is_object()) return {};
  std::string url = servers[0].value("url", std::string());
  const Json variables = servers[0].value("variables", Json::object());
  if (!variables.is_object()) return url;
  for (const auto& [name, variable] : variables.items()) {
    const std::string placeholder = "{" + name + "}";
    const std::string value = variable.is_object() ? variable.value("default", std::string()) : std::string();
    for (size_t at = url.find(placeholder); at != std::string::npos; at = url.find(placeholder, at + value.size())) {
      url.replace(at, placeholder.size(), value);
    }
  }
  return url;
}

}  // namespace

std::optional<std::string> sanitiseToolName(std::string_view prefix, std::string_view operationId) {
  if (std::none_of(operationId.begin(), operationId.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  std::string name(prefix);
  for (const char c : operationId) name += isToolNameChar(c) ? c : '_';
  if (name.size() > 64) return std::nullopt;
  return name;
}

Json resolveRefs(const Json& document, const Json& node) {
  RefResolver resolver(document);
  return resolver.resolve(node);
}

OpenApiTools toolsFromOpenApi(const Json& document, const OpenApiOptions& options) {
  if (!document.is_object()) throw ConfigError("the OpenAPI document is not a JSON object");
  const Json version = document.value("openapi", Json());
  if (!version.is_string() || version.get<std::string>().rfind("3.", 0) != 0) {
    throw ConfigError(document.contains("swagger") ? "Swagger 2.0 documents are not supported; convert it to OpenAPI 3"
                                                   : "not an OpenAPI 3 document (no \"openapi\": \"3.x\")");
  }
  const Json paths = document.value("paths", Json::object());
  if (!paths.is_object()) throw ConfigError("\"paths\" must be an object");

  OpenApiTools tools;
  tools.serverUrl = serverUrlOf(document);
  for (const auto& [path, rawItem] : paths.items()) {
    RefResolver refs(document);
    Json pathItem;
    try {
      pathItem = refs.resolve(rawItem.is_object() ? rawItem : Json::object());
    } catch (const ConfigError& e) {
      throw ConfigError("paths \"" + path + "\": " + e.what());
    }
    for (const char* method : kMethods) {
      if (!pathItem.contains(method)) continue;
      const Json& rawOp = rawItem.contains(method) ? rawItem[method] : pathItem[method];
      const std::string where = upper(method) + " " + path;
      if (!rawOp.is_object()) throw ConfigError(where + ": the operation must be an object");
      const Json id = rawOp.value("operationId", Json());
      if (id.is_null()) {
        tools.warnings.push_back(where + " has no operationId; skipped");
        continue;
      }
      if (!id.is_string()) throw ConfigError(where + ": operationId must be a string");
      const std::string operationId = id.get<std::string>();
      const bool included = options.include.empty() ||
                            std::any_of(options.include.begin(), options.include.end(),
                                        [&](const std::string& g) { return globMatch(g, operationId); });
      const bool excluded = std::any_of(options.exclude.begin(), options.exclude.end(),
                                        [&](const std::string& g) { return globMatch(g, operationId); });
      if (!included || excluded) continue;
      const auto toolName = sanitiseToolName(options.prefix, operationId);
      if (!toolName) {
        tools.warnings.push_back("operationId \"" + operationId + "\" (" + where +
                                 ") cannot be made a tool name of 1-64 characters [A-Za-z0-9_.-]; skipped");
        continue;
      }
      try {
        RefResolver operationRefs(document);
        tools.operations.push_back(buildOperation(operationRefs, path, method, pathItem, rawOp, *toolName));
      } catch (const Skip& skip) {
        tools.warnings.push_back("operation \"" + operationId + "\" (" + where + ") skipped: " + skip.reason);
      } catch (const ConfigError& e) {
        throw ConfigError("operation \"" + operationId + "\" (" + where + "): " + e.what());
      }
    }
  }
  return tools;
}

}  // namespace portcullis::http
