#pragma once
// Who may use what. The dispatcher asks one AccessPolicy about every list and
// every call; the app implements it over core/policy. Answers are kept per
// principal and catalog generation, so a call costs one lookup, and a
// principal whose roles, groups or scopes changed is simply a new key.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mcp/catalog.hpp"
#include "core/mcp/principal.hpp"

namespace portcullis::mcp {

enum class Access : uint8_t {
  Allowed,
  StepUp,  // the account may, the token needs more scopes
  Hidden,  // the caller may not know it exists
};

struct AccessDecision {
  Access access = Access::Hidden;
  std::string rule;                 // what decided, for audit and explain
  std::vector<std::string> scopes;  // StepUp: the scopes the token lacks
};

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  virtual AccessDecision decide(const Principal& principal, ListKind kind, const CatalogEntry& entry) const = 0;
};

// One decision about one use of a primitive.
struct AuditRecord {
  int64_t at = 0;  // milliseconds since the epoch
  std::string subject;
  std::string username;
  std::string clientId;
  std::string apiTokenId;
  std::string method;  // tools/call, resources/read, prompts/get, ...
  std::string kind;    // tool, resource, template, prompt
  std::string name;    // what was asked for (a tool name, a resource URI)
  std::string plugin;  // who serves it; empty when nothing does
  std::string decision;  // allow, deny, step-up
  std::string rule;
  std::string outcome;      // allow: ok, error or cancelled
  int64_t latencyUs = 0;    // allow: until the answer; otherwise the decision
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Must not block the request for long: implementations queue.
  virtual void record(AuditRecord record) = 0;
};

// What one principal may see in one catalog view.
class PrincipalCatalog {
 public:
  PrincipalCatalog(std::shared_ptr<const CatalogView> view, const AccessPolicy& policy, const Principal& principal);

  const CatalogView& view() const { return *view_; }
  // Positions in view().entries(kind) of what the principal may see: allowed,
  // or allowed after a step-up (so a client learns what to ask for).
  const std::vector<uint32_t>& visible(ListKind kind) const { return visible_[listIndex(kind)]; }
  const AccessDecision& decision(ListKind kind, const CatalogEntry& entry) const;

 private:
  std::shared_ptr<const CatalogView> view_;
  std::vector<AccessDecision> decisions_[4];
  std::vector<uint32_t> visible_[4];
};

class AccessGate {
 public:
  // policy null: everything is allowed and nothing is cached.
  explicit AccessGate(const AccessPolicy* policy, size_t capacity = 4096) : policy_(policy), capacity_(capacity) {}

  bool enabled() const { return policy_ != nullptr; }
  std::shared_ptr<const PrincipalCatalog> catalogFor(const Principal& principal,
                                                     const std::shared_ptr<const CatalogView>& view);
  // The same evaluation, uncached (consent pages, explain, tests).
  AccessDecision decide(const Principal& principal, ListKind kind, const CatalogEntry& entry) const;

  static std::string fingerprint(const Principal& principal);

 private:
  const AccessPolicy* policy_;
  const size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const PrincipalCatalog>> cache_;
};

}  // namespace portcullis::mcp
