#pragma once
// The CallContext a provider receives while serving one request: progress,
// log messages and questions to the client, each delivered the way the
// client's generation expects.

#include <memory>
#include <string>

#include "core/jsonrpc/message.hpp"
#include "core/mcp/dispatcher.hpp"

namespace portcullis::mcp {

// Answers a modern client gave on earlier rounds, and the questions asked in
// this round. Keys are "portcullis/<n>", the n-th question of the call.
struct InputReplay {
  json::ObjectPtr answers = json::makeObject();
  json::ObjectPtr questions = json::makeObject();
  int asked = 0;
};

class RequestCallContext : public CallContext {
 public:
  RequestCallContext(RequestScope& scope, const jsonrpc::Message& request,
                     const DispatcherOptions& options, InputReplay& replay);

  void progress(double progress, std::optional<double> total, const std::string& message) override;
  void log(LogLevel level, const std::string& logger, const json::Value& data) override;
  ClientReply clientRequest(const std::string& method, const json::ObjectPtr& params) override;
  std::vector<std::pair<std::string, ClientReply>> clientRequests(const json::ObjectPtr& requests) override;
  bool cancelled() const override;
  json::ObjectPtr info() const override;
  const Principal& principal() const override;
  std::string identityAssertion(const std::string& audience, std::chrono::milliseconds ttl) override;
  void releaseStream() override;

  // Whether the client declared the capability a server-to-client method needs.
  static bool clientSupports(const json::ObjectPtr& capabilities, const std::string& method,
                             const json::ObjectPtr& params);

 private:
  ClientReply askOverStream(const std::string& method, const json::ObjectPtr& params);
  ClientReply askByReplay(const std::string& method, const json::ObjectPtr& params);
  // Task mode: parks the task on the questions until tasks/update answers them.
  std::vector<std::pair<std::string, ClientReply>> askThroughTask(
      const std::vector<std::pair<std::string, json::ObjectPtr>>& questions);

  RequestScope& scope_;
  const jsonrpc::Message& request_;
  const DispatcherOptions& options_;
  InputReplay& replay_;
  json::Value progressToken_;
};

}  // namespace portcullis::mcp
