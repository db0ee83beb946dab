#include "core/plugin_host/primitives_adapter.hpp"

#include <cstddef>
#include <set>

#include "core/common/json.hpp"
#include "core/common/log.hpp"
#include "core/jsonrpc/message.hpp"

namespace portcullis::plugin_host {

namespace json = common::json;
using mcp::CallContext;
using mcp::Outcome;

PrimitivesAdapter::PrimitivesAdapter(std::string name, std::shared_ptr<const void> keepAlive,
                                     const pc_plugin* descriptor, mcp::ChangeSink* changes,
                                     std::unique_ptr<storage::PluginStore> store)
    : HostedPlugin(std::move(name), std::move(keepAlive), descriptor, std::move(store)), changes_(changes) {}

std::shared_ptr<PrimitivesAdapter> PrimitivesAdapter::create(const std::string& name,
                                                             std::shared_ptr<const void> keepAlive,
                                                             const pc_plugin* descriptor,
                                                             const std::string& configJson, mcp::ChangeSink* changes,
                                                             std::unique_ptr<storage::PluginStore> store,
                                                             std::string& reason, const HostServices& services) {
  std::shared_ptr<PrimitivesAdapter> adapter(
      new PrimitivesAdapter(name, std::move(keepAlive), descriptor, changes, std::move(store)));
  adapter->setServices(services);
  if (!adapter->createInstance(configJson, reason)) return nullptr;
  return adapter;
}

void PrimitivesAdapter::listChanged(uint32_t lists) {
  if (changes_ != nullptr) changes_->listChanged(*this, lists);
}

void PrimitivesAdapter::resourceUpdated(const std::string& uri) {
  if (changes_ != nullptr) changes_->resourceUpdated(uri);
}

json::ArrayPtr PrimitivesAdapter::list(mcp::ListKind kind) {
  std::string out;
  pc_buffer buffer = bufferFor(out);
  int32_t status = PC_ERROR;
  try {
    status = descriptor()->primitives->list(instance(), static_cast<uint32_t>(kind), &buffer);
  } catch (...) {
    throw std::runtime_error("an exception escaped the plugin's list function");
  }
  if (status != PC_OK) throw std::runtime_error("list failed: " + out);
  json::ArrayPtr array = json::asArray(json::parse(out));
  if (!array) throw std::runtime_error("list did not return a JSON array");
  return array;
}

json::ObjectPtr PrimitivesAdapter::health() {
  const pc_primitives* table = descriptor()->primitives;
  if (table->size < offsetof(pc_primitives, health) + sizeof(table->health) || table->health == nullptr) {
    return nullptr;
  }
  std::string out;
  pc_buffer buffer = bufferFor(out);
  try {
    table->health(instance(), &buffer);
  } catch (...) {
    out = R"({"status":"down","detail":"an exception escaped the plugin's health function"})";
  }
  if (out.empty()) return nullptr;
  json::ObjectPtr report;
  try {
    report = json::asObject(json::parse(out));
  } catch (const std::exception&) {
  }
  static const std::set<std::string> kStatuses{"up", "degraded", "down"};
  if (!report || !kStatuses.count(json::getString(report, "status").value_or(""))) {
    report = json::makeObject();
    report->set("status", std::string("down"));
    report->set("detail", std::string("the plugin's health report is not an object with status up, degraded or down"));
  }
  return report;
}

Outcome PrimitivesAdapter::invoke(const std::string& method, const json::ObjectPtr& params, CallContext& context) {
  const std::string paramsJson = json::stringify(params);
  pc_call call{&context};
  std::string out;
  pc_buffer buffer = bufferFor(out);
  int32_t status = PC_ERROR;
  try {
    status = descriptor()->primitives->invoke(instance(), &call, view(method), view(paramsJson), &buffer);
  } catch (...) {
    return Outcome::error(jsonrpc::codes::kInternalError, "the plugin failed");
  }
  switch (status) {
    case PC_OK: {
      try {
        return Outcome::ok(json::parseObject(out));
      } catch (const json::ParseError& e) {
        common::logger("plugin." + pluginName()).error("%s returned invalid JSON: %s", method, std::string(e.what()));
        return Outcome::error(jsonrpc::codes::kInternalError, "the plugin returned an invalid result");
      }
    }
    case PC_INPUT_REQUIRED:
      return Outcome{Outcome::Status::InputRequired, {}, 0, {}, {}};
    case PC_CANCELLED:
      return Outcome{Outcome::Status::Cancelled, {}, 0, {}, {}};
    default:
      break;
  }
  try {
    json::ObjectPtr error = json::parseObject(out);
    const int64_t code = json::getInt(error, "code").value_or(jsonrpc::codes::kInternalError);
    return Outcome::error(static_cast<int>(code), json::getString(error, "message").value_or("plugin error"),
                          error->has("data") ? error->get("data") : json::Value());
  } catch (const json::ParseError&) {
    return Outcome::error(jsonrpc::codes::kInternalError, "the plugin failed");
  }
}

}  // namespace portcullis::plugin_host
