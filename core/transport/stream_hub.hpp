#pragma once
// Long-lived response streams (SSE) without a thread each. A handler detaches
// its socket from the HTTP server's pool and hands it here; one reactor thread
// writes queued frames (non-blocking, epoll), sends heartbeats, notices when
// the peer goes away, and drops a reader whose queue outgrows its limit so a
// slow client can never make the server's memory grow.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/transport/channel.hpp"

namespace portcullis::transport {

struct StreamHubOptions {
  std::chrono::milliseconds heartbeat{15'000};
  size_t maxQueuedBytes = 1024 * 1024;
  size_t maxStreams = 20'000;
};

class StreamHub {
 public:
  using Id = uint64_t;
  // Receives the id of the stream that ended.
  using ClosedCallback = std::function<void(Id)>;

  explicit StreamHub(StreamHubOptions options);
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  void start();
  void stop();  // closes every stream

  // Takes over a detached connection. `head` (the HTTP response head) is written
  // first; later frames are sent with chunked transfer encoding when
  // `chunked`. onClosed runs once, on the reactor thread, when the stream
  // ends for any reason. Returns 0 when the hub is full.
  Id open(Channel channel, std::string head, bool chunked, ClosedCallback onClosed);

  // Queues one frame. False when the stream is gone or was just dropped for
  // being too slow.
  bool send(Id id, std::string_view frame);
  // Flushes what is queued, ends the body and closes the connection.
  void finish(Id id);
  // Closes at once, discarding what is queued.
  void abort(Id id);

  size_t size() const;
  bool full() const;
  bool alive(Id id) const;

 private:
  struct Stream;
  void run();
  void wake();
  bool flush(Stream& stream);  // false on a fatal write error
  void close(Id id);
  std::shared_ptr<Stream> find(Id id) const;
  void queueClose(Stream& stream);  // caller holds stream.mutex
  void heartbeats();

  StreamHubOptions options_;
  int epoll_ = -1;
  int wakeFd_ = -1;
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::unordered_map<Id, std::shared_ptr<Stream>> streams_;
  std::vector<Id> closeQueue_;
  std::atomic<Id> nextId_{1};
};

// For a socket detached for a stream the hub then had no room for: answers
// 503 (nothing was written yet) and closes it.
void refuseStream(Channel& channel);

}  // namespace portcullis::transport
