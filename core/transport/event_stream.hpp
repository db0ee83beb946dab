#pragma once
// SSE on top of the StreamHub. An EventStream is one logical stream of
// JSON-RPC messages: the response stream of a POST, a session's GET stream,
// a subscriptions/listen stream or a legacy /sse stream. A resumable stream
// numbers its events and keeps the latest ones, so a client that lost the
// connection can reconnect with Last-Event-ID and a new connection (a new
// "sink") picks up where the old one stopped.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/mcp/outbound.hpp"
#include "core/mcp/session.hpp"
#include "core/transport/stream_hub.hpp"

namespace portcullis::transport {

// "event: message\nid: <id>\ndata: <json>\n\n"
std::string sseEvent(std::string_view data, std::string_view id = {},
                     std::string_view event = "message");
// An event with an id, a retry hint and no data (2025-11-25 "priming").
std::string ssePriming(std::string_view id, std::chrono::milliseconds retry);

struct EventStreamOptions {
  bool resumable = false;
  size_t history = 256;
};

class EventStream : public mcp::Outbound, public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(StreamHub& hub, std::string id, EventStreamOptions options);
  ~EventStream() override;

  const std::string& id() const { return id_; }

  bool send(const std::string& message) override;
  void release() override;
  bool connected() const override;

  // Writes a raw SSE frame (comment, priming, endpoint event).
  bool sendRaw(const std::string& frame);
  // The next event id, consumed (for a priming event).
  std::string reserveEventId();

  // Connects a sink; replays events after `afterSeq` first. A completed
  // stream finishes the sink once the replay is out.
  void attach(StreamHub::Id sink, std::optional<uint64_t> afterSeq);
  // The sink went away (called from the hub's close callback).
  void sinkClosed(StreamHub::Id sink);
  // Sends the last message (the response) and ends the stream.
  void complete(const std::string& message);
  // Ends the stream without a last message.
  void close();
  bool completed() const;

  // "<stream>_<seq>" → seq, when the id belongs to this stream.
  std::optional<uint64_t> sequenceOf(const std::string& eventId) const;

 private:
  struct Event {
    uint64_t seq;
    std::string frame;
  };
  bool deliver(const std::string& frame);  // caller holds mutex_
  std::deque<std::string> early_;  // frames sent before the first sink arrived
  bool attachedOnce_ = false;

  StreamHub& hub_;
  const std::string id_;
  const EventStreamOptions options_;
  mutable std::mutex mutex_;
  std::deque<Event> history_;
  uint64_t nextSeq_ = 1;
  StreamHub::Id sink_ = 0;
  bool completed_ = false;
};

// The streams of one legacy session, so Last-Event-ID can find them; closed
// with the session.
class SessionStreams : public mcp::SessionAttachment {
 public:
  explicit SessionStreams(size_t maxStreams = 64) : max_(maxStreams) {}

  void add(const std::shared_ptr<EventStream>& stream);
  std::shared_ptr<EventStream> find(const std::string& streamId) const;
  // The stream an event id belongs to, and the event's sequence number.
  std::shared_ptr<EventStream> forEvent(const std::string& eventId, uint64_t& seq) const;

  std::shared_ptr<EventStream> standalone() const;
  void setStandalone(std::shared_ptr<EventStream> stream);

  void onSessionClosed() override;

 private:
  const size_t max_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<EventStream>> streams_;
  std::shared_ptr<EventStream> standalone_;
};

}  // namespace portcullis::transport
