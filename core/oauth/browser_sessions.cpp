#include "core/oauth/browser_sessions.hpp"

#include "core/common/random.hpp"
#include "core/storage/database.hpp"

namespace portcullis::oauth {

namespace {
constexpr size_t kMaxSessions = 100'000;
constexpr size_t kMaxFlows = 8;
constexpr int64_t kFlowTtlMs = 30 * 60'000;
}  // namespace

std::optional<BrowserSession> BrowserSessions::find(const std::string& id) {
  if (id.empty() || id.size() > 128) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.createdAt + ttl_.count() < storage::nowMillis()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

BrowserSession BrowserSessions::create() {
  BrowserSession s;
  s.id = common::randomToken(24);
  s.csrf = common::randomToken(24);
  s.createdAt = storage::nowMillis();
  std::lock_guard lock(mutex_);
  // Full: the oldest session nobody signed in to goes first, so a flood of
  // anonymous visits cannot push out people who are signed in.
  while (sessions_.size() >= kMaxSessions && !anonymous_.empty()) {
    auto it = sessions_.find(anonymous_.front());
    anonymous_.pop_front();
    if (it != sessions_.end() && it->second.userId.empty()) sessions_.erase(it);
  }
  if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
  sessions_[s.id] = s;
  anonymous_.push_back(s.id);
  // The queue holds ids of sessions that signed in or ended since; keep it
  // from outgrowing the table.
  if (anonymous_.size() > 2 * kMaxSessions) {
    std::erase_if(anonymous_, [&](const std::string& id) {
      auto found = sessions_.find(id);
      return found == sessions_.end() || !found->second.userId.empty();
    });
  }
  return s;
}

void BrowserSessions::save(const BrowserSession& session) {
  std::lock_guard lock(mutex_);
  sessions_[session.id] = session;
}

BrowserSession BrowserSessions::renew(const BrowserSession& session) {
  BrowserSession fresh = session;
  fresh.id = common::randomToken(24);
  fresh.csrf = common::randomToken(24);
  std::lock_guard lock(mutex_);
  sessions_.erase(session.id);
  sessions_[fresh.id] = fresh;
  return fresh;
}

void BrowserSessions::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

std::string BrowserSessions::addFlow(BrowserSession& session, AuthorizationRequest request) {
  const int64_t now = storage::nowMillis();
  for (auto it = session.flows.begin(); it != session.flows.end();) {
    it = it->second.createdAt + kFlowTtlMs < now ? session.flows.erase(it) : std::next(it);
  }
  while (session.flows.size() >= kMaxFlows) {
    auto oldest = session.flows.begin();
    for (auto it = session.flows.begin(); it != session.flows.end(); ++it) {
      if (it->second.createdAt < oldest->second.createdAt) oldest = it;
    }
    session.flows.erase(oldest);
  }
  const std::string flowId = common::randomToken(12);
  request.createdAt = now;
  session.flows[flowId] = std::move(request);
  save(session);
  return flowId;
}

void BrowserSessions::sweep() {
  const int64_t cutoff = storage::nowMillis() - ttl_.count();
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.createdAt < cutoff ? sessions_.erase(it) : std::next(it);
  }
}

}  // namespace portcullis::oauth
