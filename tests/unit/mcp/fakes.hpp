#pragma once
// Fakes for the protocol layer's interfaces: a PrimitiveProvider with scripted
// lists and invoke handler, and an Outbound that records what it is sent and
// lets a test wait (bounded) for it.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/common/json.hpp"
#include "core/jsonrpc/message.hpp"
#include "core/mcp/outbound.hpp"
#include "core/mcp/provider.hpp"

namespace portcullis::mcp::fakes {

namespace json = common::json;

inline constexpr std::chrono::seconds kWait{20};

// A provider whose lists are set per kind and whose invoke runs `handler`
// (or answers with a text result naming the provider).
class FakeProvider : public PrimitiveProvider {
 public:
  using Handler = std::function<Outcome(const std::string&, const json::ObjectPtr&, CallContext&)>;

  struct Call {
    std::string method;
    json::ObjectPtr params;
  };

  explicit FakeProvider(std::string name) : name_(std::move(name)) {}

  const std::string& name() const override { return name_; }

  json::ArrayPtr list(ListKind kind) override {
    std::lock_guard lock(mutex_);
    ++listCalls_[kind];
    if (auto it = failing_.find(kind); it != failing_.end() && it->second) {
      throw std::runtime_error(name_ + " cannot list");
    }
    auto it = lists_.find(kind);
    if (it == lists_.end()) return json::makeArray();
    return json::asArray(json::parse(it->second));
  }

  Outcome invoke(const std::string& method, const json::ObjectPtr& params,
                 CallContext& context) override {
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({method, json::clone(params)});
      handler = handler_;
    }
    if (handler) return handler(method, params, context);
    json::ObjectPtr result = json::makeObject();
    json::ArrayPtr content = json::makeArray();
    json::ObjectPtr text = json::makeObject();
    text->set("type", std::string("text"));
    text->set("text", name_);
    content->add(text);
    result->set("content", content);
    return Outcome::ok(result);
  }

  // The definitions of one kind, as JSON array text.
  void setList(ListKind kind, std::string arrayJson) {
    std::lock_guard lock(mutex_);
    lists_[kind] = std::move(arrayJson);
  }
  void failListing(ListKind kind, bool fail = true) {
    std::lock_guard lock(mutex_);
    failing_[kind] = fail;
  }
  void setHandler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }
  int listCalls(ListKind kind) const {
    std::lock_guard lock(mutex_);
    auto it = listCalls_.find(kind);
    return it == listCalls_.end() ? 0 : it->second;
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::string name_;
  mutable std::mutex mutex_;
  std::map<ListKind, std::string> lists_;
  std::map<ListKind, bool> failing_;
  std::map<ListKind, int> listCalls_;
  std::vector<Call> calls_;
  Handler handler_;
};

// Records every message; connected() and send()'s answer are adjustable.
class RecordingOutbound : public Outbound {
 public:
  bool send(const std::string& message) override {
    {
      std::lock_guard lock(mutex_);
      if (!accepting_) return false;
      messages_.push_back(message);
    }
    cv_.notify_all();
    return true;
  }
  void release() override {
    std::lock_guard lock(mutex_);
    ++releases_;
  }
  bool connected() const override {
    std::lock_guard lock(mutex_);
    return connected_;
  }

  void setConnected(bool connected) {
    std::lock_guard lock(mutex_);
    connected_ = connected;
  }
  void setAccepting(bool accepting) {
    std::lock_guard lock(mutex_);
    accepting_ = accepting;
  }
  int releases() const {
    std::lock_guard lock(mutex_);
    return releases_;
  }

  std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }
  // Every message, parsed.
  std::vector<json::ObjectPtr> parsed() const {
    std::vector<json::ObjectPtr> out;
    for (const auto& m : messages()) out.push_back(json::parseObject(m));
    return out;
  }
  // The messages with this method.
  std::vector<json::ObjectPtr> withMethod(const std::string& method) const {
    std::vector<json::ObjectPtr> out;
    for (const auto& m : parsed()) {
      if (json::getString(m, "method") == method) out.push_back(m);
    }
    return out;
  }
  // Waits until at least n messages arrived; false on timeout.
  bool waitFor(size_t n, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
  bool connected_ = true;
  bool accepting_ = true;
  int releases_ = 0;
};

// A tool definition with an object input schema.
inline std::string toolJson(const std::string& name,
                            const std::string& inputSchema = R"({"type":"object"})") {
  return R"({"name":")" + name + R"(","description":"t","inputSchema":)" + inputSchema + "}";
}

// A request message built from its parts.
inline jsonrpc::Message request(const json::Value& id, const std::string& method,
                                const std::string& paramsJson = "{}") {
  return jsonrpc::toMessage(
      json::parse(jsonrpc::request(id, method, json::parseObject(paramsJson))));
}

inline jsonrpc::Message request(int64_t id, const std::string& method,
                                const std::string& paramsJson = "{}") {
  return request(json::Value(id), method, paramsJson);
}

inline jsonrpc::Message notificationMessage(const std::string& method,
                                            const std::string& paramsJson = "{}") {
  return jsonrpc::toMessage(
      json::parse(jsonrpc::notification(method, json::parseObject(paramsJson))));
}

}  // namespace portcullis::mcp::fakes
