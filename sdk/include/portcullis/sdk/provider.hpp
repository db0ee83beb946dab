#pragma once
// PrimitiveProvider: the base class of a plugin that serves tools, resources,
// resource templates and prompts. Register each primitive with its handler in
// the constructor; override list() or invoke() for anything dynamic.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "portcullis/sdk/call.hpp"
#include "portcullis/sdk/content.hpp"
#include "portcullis/sdk/uri_template.hpp"

namespace portcullis::sdk {

class PrimitiveProvider {
 public:
  // Returns a CallToolResult ({"content": [...]}) or a bare content array.
  using ToolHandler = std::function<Json(const Json& arguments, Call& call)>;
  // Returns a ReadResourceResult ({"contents": [...]}).
  using ResourceHandler = std::function<Json(const std::string& uri, Call& call)>;
  using TemplateHandler = std::function<Json(
      const std::string& uri, const std::map<std::string, std::string>& variables, Call& call)>;
  // Returns a GetPromptResult ({"messages": [...]}).
  using PromptHandler = std::function<Json(const Json& arguments, Call& call)>;
  // Receives completion/complete params, returns the "completion" object.
  using Completer = std::function<Json(const Json& params, Call& call)>;

  explicit PrimitiveProvider(Host host) : host_(host) {}
  virtual ~PrimitiveProvider() = default;
  PrimitiveProvider(const PrimitiveProvider&) = delete;
  PrimitiveProvider& operator=(const PrimitiveProvider&) = delete;

  // The definitions for one pc_list value.
  virtual Json list(uint32_t which) {
    std::lock_guard lock(mutex_);
    Json out = Json::array();
    switch (which) {
      case PC_LIST_TOOLS:
        for (const auto& t : tools_) out.push_back(t.definition);
        break;
      case PC_LIST_RESOURCES:
        for (const auto& r : resources_) out.push_back(r.definition);
        break;
      case PC_LIST_RESOURCE_TEMPLATES:
        for (const auto& t : templates_) out.push_back(t.definition);
        break;
      case PC_LIST_PROMPTS:
        for (const auto& p : prompts_) out.push_back(p.definition);
        break;
      default:
        break;
    }
    return out;
  }

  // Routes one request. Override to add extension methods; call the base
  // for the standard ones.
  virtual Json invoke(const std::string& method, const Json& params, Call& call) {
    if (method == "tools/call") return callTool(params, call);
    if (method == "resources/read") return readResource(params, call);
    if (method == "prompts/get") return getPrompt(params, call);
    if (method == "completion/complete") {
      if (completer_) return Json{{"completion", completer_(params, call)}};
      return Json{{"completion", {{"values", Json::array()}, {"total", 0}, {"hasMore", false}}}};
    }
    if (method == "resources/subscribe" || method == "resources/unsubscribe") return Json::object();
    throw RpcError(codes::kMethodNotFound, "Method not found: " + method);
  }

  // How the backend is doing: {"status": "up" | "degraded" | "down",
  // "detail"?: "..."}; null (the default) when there is nothing to report.
  // Called from /readyz and `portcullis plugins list`; answer from what is
  // already known instead of probing the backend.
  virtual Json health() { return nullptr; }

  Host& host() { return host_; }

 protected:
  void addTool(Json definition, ToolHandler handler) {
    if (!definition.contains("inputSchema")) {
      definition["inputSchema"] = {{"type", "object"}, {"additionalProperties", false}};
    }
    std::lock_guard lock(mutex_);
    tools_.push_back({std::move(definition), std::move(handler)});
  }

  void addResource(Json definition, ResourceHandler handler) {
    std::lock_guard lock(mutex_);
    resources_.push_back({std::move(definition), std::move(handler)});
  }

  void addResourceTemplate(Json definition, TemplateHandler handler) {
    UriTemplate compiled(definition.value("uriTemplate", std::string()));
    std::lock_guard lock(mutex_);
    templates_.push_back({std::move(definition), std::move(compiled), std::move(handler)});
  }

  void addPrompt(Json definition, PromptHandler handler) {
    std::lock_guard lock(mutex_);
    prompts_.push_back({std::move(definition), std::move(handler)});
  }

  void setCompleter(Completer completer) { completer_ = std::move(completer); }

  // Removes a tool by name; returns whether it existed. Call
  // host().listChanged(PC_LIST_TOOLS) afterwards.
  bool removeTool(const std::string& name) {
    std::lock_guard lock(mutex_);
    for (auto it = tools_.begin(); it != tools_.end(); ++it) {
      if (it->definition.value("name", std::string()) == name) {
        tools_.erase(it);
        return true;
      }
    }
    return false;
  }

 private:
  struct Tool {
    Json definition;
    ToolHandler handler;
  };
  struct Resource {
    Json definition;
    ResourceHandler handler;
  };
  struct Template {
    Json definition;
    UriTemplate uriTemplate;
    TemplateHandler handler;
  };
  struct Prompt {
    Json definition;
    PromptHandler handler;
  };

  Json callTool(const Json& params, Call& call) {
    const std::string name = params.value("name", std::string());
    ToolHandler handler;
    {
      std::lock_guard lock(mutex_);
      for (const auto& t : tools_) {
        if (t.definition.value("name", std::string()) == name) handler = t.handler;
      }
    }
    if (!handler) throw RpcError(codes::kInvalidParams, "Unknown tool: " + name);
    const Json arguments = params.contains("arguments") && params["arguments"].is_object()
                               ? params["arguments"]
                               : Json::object();
    try {
      Json result = handler(arguments, call);
      if (result.is_array()) return Json{{"content", std::move(result)}};
      return result;
    } catch (const ToolError& e) {
      return errorResult(e.what());
    } catch (const RpcError&) {
      throw;
    } catch (const std::exception& e) {
      return errorResult(e.what());
    }
  }

  Json readResource(const Json& params, Call& call) {
    const std::string uri = params.value("uri", std::string());
    ResourceHandler direct;
    TemplateHandler templated;
    std::map<std::string, std::string> variables;
    {
      std::lock_guard lock(mutex_);
      for (const auto& r : resources_) {
        if (r.definition.value("uri", std::string()) == uri) direct = r.handler;
      }
      if (!direct) {
        for (const auto& t : templates_) {
          if (t.uriTemplate.match(uri, variables)) {
            templated = t.handler;
            break;
          }
        }
      }
    }
    if (direct) return direct(uri, call);
    if (templated) return templated(uri, variables, call);
    throw RpcError(codes::kResourceNotFound, "Resource not found", Json{{"uri", uri}});
  }

  Json getPrompt(const Json& params, Call& call) {
    const std::string name = params.value("name", std::string());
    PromptHandler handler;
    Json definition;
    {
      std::lock_guard lock(mutex_);
      for (const auto& p : prompts_) {
        if (p.definition.value("name", std::string()) == name) {
          handler = p.handler;
          definition = p.definition;
        }
      }
    }
    if (!handler) throw RpcError(codes::kInvalidParams, "Unknown prompt: " + name);
    const Json arguments = params.contains("arguments") && params["arguments"].is_object()
                               ? params["arguments"]
                               : Json::object();
    for (const auto& arg : definition.value("arguments", Json::array())) {
      const std::string argName = arg.value("name", std::string());
      if (arg.value("required", false) && !arguments.contains(argName)) {
        throw RpcError(codes::kInvalidParams, "Missing required argument: " + argName);
      }
    }
    return handler(arguments, call);
  }

  Host host_;
  std::mutex mutex_;
  std::vector<Tool> tools_;
  std::vector<Resource> resources_;
  std::vector<Template> templates_;
  std::vector<Prompt> prompts_;
  Completer completer_;
};

}  // namespace portcullis::sdk
