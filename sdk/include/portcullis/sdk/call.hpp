#pragma once
// Host services as C++ objects: Host for plugin-wide services, Call for the
// services bound to one client request.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portcullis/plugin_abi.h"
#include "portcullis/sdk/errors.hpp"

namespace portcullis::sdk {

enum class LogLevel : int32_t {
  Debug = PC_LOG_DEBUG,
  Info = PC_LOG_INFO,
  Notice = PC_LOG_NOTICE,
  Warning = PC_LOG_WARNING,
  Error = PC_LOG_ERROR,
  Critical = PC_LOG_CRITICAL,
  Alert = PC_LOG_ALERT,
  Emergency = PC_LOG_EMERGENCY
};

namespace detail {

inline pc_string view(std::string_view s) { return pc_string{s.data(), s.size()}; }

inline void appendToString(void* opaque, const char* data, size_t size) {
  static_cast<std::string*>(opaque)->append(data, size);
}

inline pc_buffer bufferFor(std::string& target) { return pc_buffer{&target, &appendToString}; }

inline void write(pc_buffer* out, std::string_view text) {
  if (out != nullptr && out->append != nullptr) out->append(out->opaque, text.data(), text.size());
}

}  // namespace detail

// The answer of Call::accountToken and Host::catalogAccountToken.
struct AccountToken {
  enum class Status { Ok, LinkRequired };
  Status status = Status::Ok;
  std::string token;    // Ok: the caller's access token at the upstream
  std::string linkUrl;  // LinkRequired: where the caller links the account
};

namespace detail {

// What call_account_token answered, as an AccountToken or an RpcError.
inline AccountToken accountTokenFrom(int32_t status, const std::string& text) {
  if (status == PC_OK) return AccountToken{AccountToken::Status::Ok, text, ""};
  if (status == PC_LINK_REQUIRED) return AccountToken{AccountToken::Status::LinkRequired, "", text};
  throw RpcError(codes::kInternalError, "no token for the linked account: " + text);
}

}  // namespace detail

class Host {
 public:
  explicit Host(const pc_host* host) : host_(host) {}

  void log(LogLevel level, std::string_view message) const {
    host_->log(host_->opaque, static_cast<int32_t>(level), detail::view(message));
  }
  // Tells clients that this plugin's lists changed (pc_list bit mask).
  void listChanged(uint32_t lists) const { host_->notify_list_changed(host_->opaque, lists); }
  void resourceUpdated(std::string_view uri) const {
    host_->notify_resource_updated(host_->opaque, detail::view(uri));
  }
  // The plugin's own key-value store in the server's database.
  std::optional<std::string> storeGet(std::string_view key) const {
    if (!hasStore()) return std::nullopt;
    std::string value;
    pc_buffer out = detail::bufferFor(value);
    if (host_->store_get(host_->opaque, detail::view(key), &out) != PC_OK) return std::nullopt;
    return value;
  }
  // ttlMs <= 0 keeps the value until it is deleted.
  bool storePut(std::string_view key, std::string_view value, int64_t ttlMs = 0) const {
    return hasStore() && host_->store_put(host_->opaque, detail::view(key), detail::view(value), ttlMs) == PC_OK;
  }
  bool storeDelete(std::string_view key) const {
    return hasStore() && host_->store_delete(host_->opaque, detail::view(key)) == PC_OK;
  }

  // Writes an event about one of the plugin's primitives to the server's
  // audit log (see pc_host.record_event): {"event", "kind", "name",
  // "detail"?, "outcome"?}. False when the server keeps no audit log.
  bool recordEvent(const Json& event) const {
    if (host_->size < offsetof(pc_host, record_event) + sizeof(host_->record_event) ||
        host_->record_event == nullptr) {
      return false;
    }
    const std::string text = event.dump(-1, ' ', false, Json::error_handler_t::replace);
    return host_->record_event(host_->opaque, detail::view(text)) == PC_OK;
  }

  // Declares that this instance's users link their own account at an
  // upstream (see pc_host.declare_account). Call from the plugin's
  // constructor; throws std::runtime_error with the server's reason.
  void declareAccount(const Json& account) const {
    if (!hasAccounts()) throw std::runtime_error("this server has no linked accounts (plugin ABI 1.3 needed)");
    const std::string text = account.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::string error;
    pc_buffer out = detail::bufferFor(error);
    if (host_->declare_account(host_->opaque, detail::view(text), &out) != PC_OK) throw std::runtime_error(error);
  }
  // The linked account's token for requests no caller makes (see
  // pc_host.call_account_token with no call): the token of the user whose
  // link was used last; LinkRequired when nobody has linked the account.
  // Throws RpcError when the server cannot say.
  AccountToken catalogAccountToken(bool refresh = false) const;
  bool hasAccounts() const {
    return host_->size >= offsetof(pc_host, call_account_token) + sizeof(host_->call_account_token) &&
           host_->declare_account != nullptr && host_->call_account_token != nullptr;
  }

  const pc_host* raw() const { return host_; }

 private:
  bool hasStore() const {
    return host_->size >= offsetof(pc_host, store_delete) + sizeof(host_->store_delete) &&
           host_->store_get != nullptr;
  }

 public:

 private:
  const pc_host* host_;
};

class Call {
 public:
  Call(const pc_host* host, pc_call* call, const Json& params)
      : host_(host), call_(call), params_(params) {}

  // The request's whole params object, including _meta, inputResponses and
  // requestState when the client sent them.
  const Json& params() const { return params_; }

  void progress(double progress, std::optional<double> total = std::nullopt,
                std::string_view message = {}) const {
    if (host_->call_progress(call_, progress, total.value_or(-1.0), detail::view(message)) ==
        PC_CANCELLED) {
      throw detail::CancelledSignal{};
    }
  }

  void log(LogLevel level, const Json& data, std::string_view logger = {}) const {
    const std::string text = data.dump();
    host_->call_log(call_, static_cast<int32_t>(level), detail::view(logger), detail::view(text));
  }

  // Asks the client (sampling/createMessage, elicitation/create, roots/list)
  // and returns its result. Throws RpcError when the client refused.
  Json request(std::string_view method, const Json& params) const {
    const std::string text = params.dump();
    std::string reply;
    pc_buffer out = detail::bufferFor(reply);
    const int32_t status =
        host_->call_client_request(call_, detail::view(method), detail::view(text), &out);
    switch (status) {
      case PC_OK:
        return Json::parse(reply);
      case PC_INPUT_REQUIRED:
        throw detail::InputRequiredSignal{};
      case PC_CANCELLED:
        throw detail::CancelledSignal{};
      default: {
        Json error = Json::parse(reply, nullptr, false);
        if (!error.is_object()) throw RpcError(codes::kInternalError, "client request failed");
        throw RpcError(error.value("code", codes::kInternalError),
                       error.value("message", std::string("client request failed")),
                       error.contains("data") ? error["data"] : Json());
      }
    }
  }

  // Asks the client several things at once ({"key": {"method", "params"}})
  // and returns {"key": result} once every one is answered (a 2026-07-28
  // client answers them in one round, a task parks until all arrive).
  // Throws RpcError naming the first request the client refused.
  Json requestAll(const Json& requests) const {
    // Hosts older than this service get the requests one at a time.
    if (host_->size < offsetof(pc_host, call_client_requests) + sizeof(host_->call_client_requests)) {
      Json results = Json::object();
      for (const auto& [key, value] : requests.items()) {
        results[key] = request(value.value("method", std::string()), value.value("params", Json::object()));
      }
      return results;
    }
    const std::string text = requests.dump();
    std::string reply;
    pc_buffer out = detail::bufferFor(reply);
    const int32_t status = host_->call_client_requests(call_, detail::view(text), &out);
    if (status == PC_INPUT_REQUIRED) throw detail::InputRequiredSignal{};
    if (status == PC_CANCELLED) throw detail::CancelledSignal{};
    const Json parsed = Json::parse(reply, nullptr, false);
    if (status != PC_OK || !parsed.is_object()) throw RpcError(codes::kInternalError, "client requests failed");
    Json results = Json::object();
    for (const auto& [key, value] : parsed.items()) {
      if (value.contains("error")) {
        const Json& e = value["error"];
        throw RpcError(e.value("code", codes::kInternalError),
                       key + ": " + e.value("message", std::string("refused by the client")),
                       e.contains("data") ? e["data"] : Json());
      }
      results[key] = value.value("result", Json::object());
    }
    return results;
  }

  bool cancelled() const { return host_->call_cancelled(call_) != 0; }

  // requestId, protocolVersion, clientInfo, clientCapabilities, principal.
  Json info() const {
    std::string text;
    pc_buffer out = detail::bufferFor(text);
    host_->call_info(call_, &out);
    return Json::parse(text, nullptr, false);
  }

  void releaseStream() const { host_->call_release_stream(call_); }

  // A short-lived JWT telling `audience` who is calling (see pc_host); for a
  // backend that trusts this server's JWKS. Throws RpcError when the server
  // cannot issue one.
  std::string identityAssertion(const std::string& audience, int64_t ttlMs = 60'000) const {
    if (host_->size < offsetof(pc_host, call_identity_assertion) + sizeof(host_->call_identity_assertion) ||
        host_->call_identity_assertion == nullptr) {
      throw RpcError(codes::kInternalError, "this server offers no identity assertions (plugin ABI 1.1 needed)");
    }
    std::string text;
    pc_buffer out = detail::bufferFor(text);
    const int32_t status =
        host_->call_identity_assertion(call_, pc_string{audience.data(), audience.size()}, ttlMs, &out);
    if (status != PC_OK) throw RpcError(codes::kInternalError, "no identity assertion: " + text);
    return text;
  }

  // The caller's token for the instance's linked account (see
  // pc_host.call_account_token); `refresh` after the upstream refused the
  // last one. Throws RpcError when the server cannot say.
  AccountToken accountToken(bool refresh = false) const {
    if (host_->size < offsetof(pc_host, call_account_token) + sizeof(host_->call_account_token) ||
        host_->call_account_token == nullptr) {
      throw RpcError(codes::kInternalError, "this server has no linked accounts (plugin ABI 1.3 needed)");
    }
    std::string text;
    pc_buffer out = detail::bufferFor(text);
    return detail::accountTokenFrom(host_->call_account_token(host_->opaque, call_, refresh ? 1 : 0, &out), text);
  }

 private:
  const pc_host* host_;
  pc_call* call_;
  const Json& params_;
};

inline AccountToken Host::catalogAccountToken(bool refresh) const {
  if (!hasAccounts()) throw RpcError(codes::kInternalError, "this server has no linked accounts (plugin ABI 1.3 needed)");
  std::string text;
  pc_buffer out = detail::bufferFor(text);
  return detail::accountTokenFrom(host_->call_account_token(host_->opaque, nullptr, refresh ? 1 : 0, &out), text);
}

}  // namespace portcullis::sdk
