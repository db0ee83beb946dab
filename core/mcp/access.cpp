#include "core/mcp/access.hpp"

namespace portcullis::mcp {

PrincipalCatalog::PrincipalCatalog(std::shared_ptr<const CatalogView> view, const AccessPolicy& policy,
                                   const Principal& principal)
    : view_(std::move(view)) {
  for (ListKind kind : kListKinds) {
    const auto& entries = view_->entries(kind);
    auto& decisions = decisions_[listIndex(kind)];
    auto& visible = visible_[listIndex(kind)];
    decisions.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      decisions.push_back(policy.decide(principal, kind, entries[i]));
      if (decisions.back().access != Access::Hidden) visible.push_back(static_cast<uint32_t>(i));
    }
  }
}

const AccessDecision& PrincipalCatalog::decision(ListKind kind, const CatalogEntry& entry) const {
  static const AccessDecision kHidden{};
  const auto& entries = view_->entries(kind);
  if (entries.empty() || &entry < entries.data() || &entry >= entries.data() + entries.size()) return kHidden;
  return decisions_[listIndex(kind)][static_cast<size_t>(&entry - entries.data())];
}

std::string AccessGate::fingerprint(const Principal& p) {
  // Everything a decision may depend on, with separators no name contains.
  std::string key;
  key.reserve(128);
  auto add = [&key](const std::string& s) {
    key += s;
    key += '\x1f';
  };
  auto addAll = [&](const std::vector<std::string>& list) {
    for (const auto& s : list) add(s);
    key += '\x1e';
  };
  key += p.authenticated ? 'a' : 'n';
  add(p.subject);
  add(p.username);
  add(p.clientId);
  add(p.apiTokenId);
  addAll(p.roles);
  addAll(p.groups);
  addAll(p.scopes);
  return key;
}

std::shared_ptr<const PrincipalCatalog> AccessGate::catalogFor(const Principal& principal,
                                                               const std::shared_ptr<const CatalogView>& view) {
  const std::string key = fingerprint(principal);
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second->view().generation == view->generation) return it->second;
  }
  // Evaluated outside the lock: another request may do the same work at the
  // same time, and either result is right.
  auto made = std::make_shared<const PrincipalCatalog>(view, *policy_, principal);
  std::lock_guard lock(mutex_);
  // Bounded: many distinct principals start the cache over instead of
  // growing it (each entry is rebuilt in microseconds on next use).
  if (cache_.size() >= capacity_) cache_.clear();
  cache_[key] = made;
  return made;
}

AccessDecision AccessGate::decide(const Principal& principal, ListKind kind, const CatalogEntry& entry) const {
  if (policy_ == nullptr) return {Access::Allowed, {}, {}};
  return policy_->decide(principal, kind, entry);
}

}  // namespace portcullis::mcp
