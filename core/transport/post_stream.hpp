#pragma once
// The response channel of one POST. It starts as a plain JSON response and
// turns into an SSE stream only when the handler has something to say before
// its result (progress, a log message, a question for the client), so most
// calls keep a cheap JSON reply and their keep-alive connection.

#include <memory>
#include <mutex>
#include <string>

#include "core/mcp/cancellation.hpp"
#include "core/mcp/outbound.hpp"
#include "core/transport/event_stream.hpp"
#include "core/transport/exchange.hpp"
#include "core/transport/stream_hub.hpp"

namespace portcullis::transport {

struct PostStreamOptions {
  bool resumable = false;  // legacy sessions: event ids, history, Last-Event-ID
  bool prime = false;      // 2025-11-25+: a priming event with id and retry first
  std::chrono::milliseconds retry{2000};
  size_t history = 256;
};

class PostStream : public mcp::Outbound {
 public:
  PostStream(Exchange& exchange, StreamHub& hub, PostStreamOptions options,
             std::shared_ptr<SessionStreams> registry, std::shared_ptr<mcp::Cancellation> cancelOnClose);

  bool send(const std::string& message) override;
  void release() override;
  bool connected() const override;

  // Sends the response on the stream when it became one (true); otherwise
  // the caller answers with plain JSON (false).
  bool finish(const std::string& response);
  // Ends a stream without a last message; false when it never became one.
  bool close();
  bool upgraded() const;

 private:
  bool upgrade();  // caller holds mutex_

  Exchange& exchange_;
  StreamHub& hub_;
  const PostStreamOptions options_;
  std::shared_ptr<SessionStreams> registry_;
  std::shared_ptr<mcp::Cancellation> cancelOnClose_;
  mutable std::mutex mutex_;
  std::shared_ptr<EventStream> stream_;
  bool failed_ = false;
};

}  // namespace portcullis::transport
