// What recording one access decision costs the audit writer: process CPU
// per decision while audit::AuditLog writes --decisions decisions of
// realistic size to a fresh SQLite database (WAL, synchronous FULL, the
// server's defaults), recorded in bursts of 5,000 and flushed after each, so
// batches are full as under load. Prints each round and the median.
//
// Usage: audit_writer_bench [--decisions N] [--rounds N] [--dir DIR]

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/audit/audit_log.hpp"

namespace {

using namespace portcullis;

double cpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto micros = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

mcp::AuditRecord decision(int i) {
  mcp::AuditRecord r;
  r.at = storage::nowMillis();
  r.subject = "usr_8f3a2c1d9e";
  r.username = i % 2 == 0 ? "alice" : "bob";
  r.clientId = "pc_06bEppeFWkZkhkGvrd3UmigT";
  r.method = "tools/call";
  r.kind = "tool";
  r.name = "demo_echo";
  r.plugin = "demo";
  r.decision = "allow";
  r.rule = "members-use-the-demo-tools";
  r.outcome = "ok";
  r.latencyUs = 120 + i % 50;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int decisions = 200'000;
  int rounds = 5;
  std::string dir = std::filesystem::temp_directory_path() / "portcullis-audit-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--decisions") decisions = std::max(5'000, std::atoi(argv[i + 1]));
    else if (key == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
    else if (key == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "audit_writer_bench: unknown option %s\n", key.c_str());
      return 2;
    }
  }
  constexpr int kBurst = 5'000;
  std::vector<double> perDecision;
  for (int round = 1; round <= rounds; ++round) {
    std::filesystem::remove_all(dir);
    storage::Database db(storage::StorageOptions{dir + "/portcullis.db"});
    audit::AuditLog log(db);
    log.start();
    const double before = cpuMicros();
    for (int done = 0; done < decisions; done += kBurst) {
      for (int i = 0; i < kBurst; ++i) log.record(decision(done + i));
      if (!log.flush(std::chrono::minutes(5))) {
        std::fprintf(stderr, "audit_writer_bench: the writer did not keep up\n");
        return 1;
      }
    }
    const double micros = (cpuMicros() - before) / (decisions / kBurst * kBurst);
    const auto counters = log.counters();
    log.stop();
    perDecision.push_back(micros);
    std::printf("round %d: %.2f us per decision (%llu written in %llu transactions, %llu dropped)\n", round, micros,
                static_cast<unsigned long long>(counters.written), static_cast<unsigned long long>(counters.batches),
                static_cast<unsigned long long>(counters.dropped));
  }
  std::sort(perDecision.begin(), perDecision.end());
  std::printf("median: %.2f us per decision over %d rounds of %d decisions\n", perDecision[perDecision.size() / 2],
              rounds, decisions);
  std::filesystem::remove_all(dir);
  return 0;
}
