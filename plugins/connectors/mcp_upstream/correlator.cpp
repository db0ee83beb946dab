#include "correlator.hpp"

#include <algorithm>

namespace portcullis::mcp_upstream {

Pending::Next Pending::waitNext(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, wait, [&] { return !inbox_.empty() || response_ || failure_; });
  Next next;
  if (!inbox_.empty()) {
    next.kind = Next::Kind::Message;
    next.message = std::move(inbox_.front());
    inbox_.pop_front();
  } else if (response_) {
    next.kind = Next::Kind::Response;
    next.message = *response_;
  } else if (failure_) {
    next.kind = Next::Kind::Failed;
    next.reason = *failure_;
  }
  return next;
}

void Pending::post(Json message) {
  {
    std::lock_guard lock(mutex_);
    inbox_.push_back(std::move(message));
  }
  cv_.notify_all();
}

void Pending::complete(Json response) {
  {
    std::lock_guard lock(mutex_);
    if (!response_) response_ = std::move(response);
  }
  cv_.notify_all();
}

void Pending::fail(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = reason;
  }
  cv_.notify_all();
}

std::shared_ptr<Pending> Correlator::open(const Json& id) {
  auto pending = std::make_shared<Pending>(id);
  std::lock_guard lock(mutex_);
  const std::string key = id.dump();
  pending_[key] = pending;
  order_.push_back(key);
  return pending;
}

void Correlator::close(const Json& id) {
  std::lock_guard lock(mutex_);
  const std::string key = id.dump();
  pending_.erase(key);
  order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
}

std::shared_ptr<Pending> Correlator::find(const Json& id) const {
  auto it = pending_.find(id.dump());
  return it == pending_.end() ? nullptr : it->second;
}

std::shared_ptr<Pending> Correlator::latest() const {
  return order_.empty() ? nullptr : pending_.at(order_.back());
}

Correlator::Route Correlator::route(const Json& message, const std::optional<Json>& related) {
  if (!message.is_object() || message.value("jsonrpc", std::string()) != "2.0")
    return Route::Invalid;
  const bool hasMethod = message.contains("method") && message["method"].is_string();
  const bool hasId =
      message.contains("id") && (message["id"].is_string() || message["id"].is_number_integer());
  std::lock_guard lock(mutex_);
  if (!hasMethod) {
    if (!hasId) return Route::Invalid;
    auto pending = find(message["id"]);
    const bool wellFormed = message.contains("result") != message.contains("error") &&
                            (!message.contains("result") || message["result"].is_object());
    if (!wellFormed) {
      // A malformed answer still ends its request: as an upstream failure.
      if (pending) pending->fail("the upstream sent a malformed reply");
      return Route::Invalid;
    }
    if (!pending) return Route::UnknownResponse;
    pending->complete(message);
    return Route::Delivered;
  }
  const std::string method = message["method"].get<std::string>();
  std::shared_ptr<Pending> target;
  if (method == "notifications/progress") {
    const Json token =
        message.contains("params") ? message["params"].value("progressToken", Json()) : Json();
    for (const auto& [key, p] : pending_) {
      if (token.is_string() && token.get<std::string>() == progressTokenFor(p->id())) target = p;
    }
  } else if (hasId || method == "notifications/message") {
    // Server requests (sampling, elicitation, roots, ping) and log messages.
    if (related) target = find(*related);
    if (!target) target = latest();
  }
  if (!target) return Route::Unrouted;
  target->post(message);
  return Route::Delivered;
}

bool Correlator::postTo(const Json& id, Json message) {
  std::lock_guard lock(mutex_);
  auto pending = find(id);
  if (!pending) return false;
  pending->post(std::move(message));
  return true;
}

bool Correlator::fail(const Json& id, const std::string& reason) {
  std::lock_guard lock(mutex_);
  auto pending = find(id);
  if (!pending) return false;
  pending->fail(reason);
  return true;
}

void Correlator::failAll(const std::string& reason) {
  std::lock_guard lock(mutex_);
  for (auto& [key, p] : pending_) p->fail(reason);
}

size_t Correlator::inFlight() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace portcullis::mcp_upstream
