#include "core/mcp/builtin_tools.hpp"

#include "core/jsonrpc/message.hpp"

namespace portcullis::mcp {

BuiltinTools::BuiltinTools(Catalog& catalog, std::function<size_t(const Principal&)> visibleTools)
    : catalog_(catalog), visibleTools_(std::move(visibleTools)) {
  whoamiDefinition_ = json::parseObject(R"({
    "name": "whoami",
    "title": "Who am I",
    "description": "Returns who the gateway thinks is calling: subject, name, email, roles, groups, the client, the granted scopes and how many tools the caller can see.",
    "inputSchema": {"type": "object", "additionalProperties": false},
    "annotations": {"readOnlyHint": true, "idempotentHint": true, "openWorldHint": false}
  })");
}

json::ArrayPtr BuiltinTools::list(ListKind kind) {
  json::ArrayPtr out = json::makeArray();
  if (kind == ListKind::Tools) out->add(whoamiDefinition_);
  return out;
}

Outcome BuiltinTools::invoke(const std::string& method, const json::ObjectPtr& params,
                             CallContext& context) {
  if (method == "tools/call" && json::getString(params, "name") == std::optional<std::string>("whoami")) {
    return whoami(context);
  }
  return Outcome::error(jsonrpc::codes::kMethodNotFound, "Method not found: " + method);
}

Outcome BuiltinTools::whoami(CallContext& context) {
  json::ObjectPtr info = context.info();
  json::ObjectPtr identity = json::getObject(info, "principal");
  if (!identity) identity = json::makeObject();
  if (auto clientInfo = json::getObject(info, "clientInfo")) identity->set("clientInfo", clientInfo);
  identity->set("protocolVersion", info->get("protocolVersion"));
  const size_t visible =
      visibleTools_ ? visibleTools_(context.principal()) : catalog_.view()->tools.size();
  identity->set("visibleTools", static_cast<int64_t>(visible));

  json::ObjectPtr text = json::makeObject();
  text->set("type", std::string("text"));
  text->set("text", json::stringify(identity));
  json::ArrayPtr content = json::makeArray();
  content->add(text);
  json::ObjectPtr result = json::makeObject();
  result->set("content", content);
  result->set("structuredContent", identity);
  return Outcome::ok(result);
}

}  // namespace portcullis::mcp
