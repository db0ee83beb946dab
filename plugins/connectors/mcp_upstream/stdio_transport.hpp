#pragma once
// An upstream MCP server run as a child process: newline-delimited JSON-RPC
// on its stdin and stdout; its stderr lines go to the host log. The child's
// stdin is a socket so a write to a dead child fails instead of raising
// SIGPIPE in the gateway.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "settings.hpp"
#include "transport.hpp"

namespace portcullis::mcp_upstream {

class StdioTransport : public Transport {
 public:
  explicit StdioTransport(const Settings& settings) : settings_(settings) {}
  ~StdioTransport() override { close(); }

  void open(Handlers handlers) override;
  void send(const Json& message, const Headers& extra) override;
  void close() override;
  std::string describe() const override;

  int pid() const { return pid_; }

 private:
  void readStdout(int fd);
  void readStderr(int fd);
  void reap(const std::string& why);

  const Settings& settings_;
  Handlers handlers_;
  std::mutex writeMutex_;
  int stdin_ = -1;
  int pid_ = -1;
  std::atomic<bool> closing_{false};
  std::mutex reapMutex_;
  bool reaped_ = false;
  std::thread stdoutThread_;
  std::thread stderrThread_;
};

}  // namespace portcullis::mcp_upstream
