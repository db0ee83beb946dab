#include "core/app/audit_cli.hpp"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>
#include <optional>

#include "core/app/admin_support.hpp"
#include "core/app/arguments.hpp"
#include "core/audit/audit_log.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"

namespace portcullis::app {

namespace {

const char* kAuditHelp =
    "Usage: portcullis audit tail [--user NAME] [--limit N] [--follow] [--config FILE]\n"
    "\n"
    "Prints the last access decisions the server recorded, oldest first, one line each:\n"
    "time (UTC), decision (allow, deny, step-up), user (or the token's subject when no user\n"
    "signed in), client, kind=name (tool, resource, template, prompt), plugin, the rule that\n"
    "decided, outcome (ok, error, cancelled; \"-\" when refused) and latency. Values with\n"
    "spaces, quotes or control characters are quoted and escaped.\n"
    "  --user NAME    only NAME's decisions\n"
    "  --limit N      how many to print first, 1 to 100000 (default 50)\n"
    "  --follow       then print new decisions as they are recorded (every 500 ms) until\n"
    "                 interrupted\n"
    "  --config FILE  the configuration whose database is read (default config/portcullis.yaml)\n"
    "\n"
    "Decisions are recorded only while sign-in (auth) is configured: the audit log lives in\n"
    "its database. See docs/audit.md.\n";

constexpr size_t kDefaultLimit = 50;
constexpr size_t kMaxLimit = 100'000;
constexpr size_t kFollowBatch = 1000;
constexpr long kFollowIntervalMs = 500;

std::optional<size_t> parseLimit(const std::string& text) {
  if (text.empty() || text.size() > 6 ||
      !std::all_of(text.begin(), text.end(),
                   [](unsigned char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const size_t n = std::stoul(text);
  if (n < 1 || n > kMaxLimit) return std::nullopt;
  return n;
}

// Prints `events`; returns the id of the last one, or `last` when none.
int64_t print(const std::vector<audit::AuditEvent>& events, int64_t last) {
  for (const auto& e : events) {
    std::cout << audit::formatEvent(e) << "\n";
    last = std::max(last, e.id);
  }
  std::cout << std::flush;
  return last;
}

// Polls every kFollowIntervalMs until SIGINT or SIGTERM, which are taken
// synchronously so the command ends with status 0.
int follow(audit::AuditLog& log, const std::optional<std::string>& user, int64_t last) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const timespec interval{0, kFollowIntervalMs * 1'000'000L};
  while (true) {
    std::vector<audit::AuditEvent> events;
    do {
      events = log.tail(user, kFollowBatch, last);
      last = print(events, last);
    } while (events.size() == kFollowBatch);
    if (!std::cout) return 1;  // nobody reads any more
    const int received = sigtimedwait(&signals, nullptr, &interval);
    if (received == SIGINT || received == SIGTERM) return 0;
    if (received < 0 && errno != EAGAIN && errno != EINTR) return 1;
  }
}

int tail(const Parsed& p) {
  if (p.positional.size() != 1) {
    return usage("portcullis audit tail: unexpected argument " + p.positional[1], kAuditHelp);
  }
  size_t limit = kDefaultLimit;
  if (auto text = p.option("limit")) {
    auto n = parseLimit(*text);
    if (!n)
      return usage(
          "portcullis audit tail: --limit is a number from 1 to 100000, not \"" + *text + "\"",
          kAuditHelp);
    limit = *n;
  }
  std::optional<std::string> user;
  if (auto name = p.option("user")) {
    if (name->empty()) return usage("portcullis audit tail: --user needs a name", kAuditHelp);
    user = common::toLower(*name);  // usernames are kept in lower case
  }
  config::Config config = loadConfig(p);
  if (!config.auth.enabled) {
    throw common::StartupError(
        "the configuration " + config.source +
        " has no auth section: sign-in is off, so there is no database and no audit "
        "log (see docs/audit.md)");
  }
  Admin admin = openAdmin(std::move(config));
  if (!admin.config.audit.enabled) {
    std::cerr << "portcullis audit tail: audit.enabled is false in " << admin.config.source
              << ": the server records no decisions; these are older ones" << std::endl;
  }
  audit::AuditLog log(*admin.db);
  const int64_t last = print(log.tail(user, limit, audit::AuditLog::kLatest), 0);
  return p.has("follow") ? follow(log, user, last) : 0;
}

}  // namespace

int runAuditCommand(const std::vector<std::string>& args) {
  Parsed p = parse(args, 2, {"config", "user", "limit"}, {"follow"});
  if (!p.error.empty()) return usage("portcullis audit: " + p.error, kAuditHelp);
  if (p.help) {
    std::cout << kAuditHelp;
    return 0;
  }
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if (sub != "tail") {
    return usage(sub.empty() ? "portcullis audit: a command is required"
                             : "portcullis audit: unknown command " + sub,
                 kAuditHelp);
  }
  // Library messages (migrations) only when something is wrong.
  common::configureLogging("warning");
  return reportingErrors("audit", [&] { return tail(p); });
}

}  // namespace portcullis::app
