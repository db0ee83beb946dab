#include "core/transport/post_stream.hpp"

#include "core/common/random.hpp"

namespace portcullis::transport {

PostStream::PostStream(Exchange& exchange, StreamHub& hub, PostStreamOptions options,
                       std::shared_ptr<SessionStreams> registry,
                       std::shared_ptr<mcp::Cancellation> cancelOnClose)
    : exchange_(exchange),
      hub_(hub),
      options_(options),
      registry_(std::move(registry)),
      cancelOnClose_(std::move(cancelOnClose)) {}

bool PostStream::upgrade() {
  if (stream_) return true;
  if (failed_) return false;
  if (hub_.full()) {
    // No stream to be had: the response stays plain JSON and whatever would
    // have gone before it is dropped.
    failed_ = true;
    return false;
  }
  std::string head;
  Channel channel = exchange_.detach(200, "text/event-stream", head);
  auto stream = std::make_shared<EventStream>(
      hub_, common::randomHex(8), EventStreamOptions{options_.resumable, options_.resumable ? options_.history : 0});
  std::weak_ptr<EventStream> weak = stream;
  auto cancel = cancelOnClose_;
  const StreamHub::Id sink = hub_.open(channel, std::move(head), exchange_.http11(),
                                       [weak, cancel](StreamHub::Id id) {
                                         auto s = weak.lock();
                                         if (s) s->sinkClosed(id);
                                         // 2026-07-28: closing the stream cancels the request.
                                         if (cancel && (!s || !s->completed())) cancel->cancel();
                                       });
  if (sink == 0) {
    failed_ = true;
    refuseStream(channel);
    return false;
  }
  // Findable for Last-Event-ID before the first event id goes out.
  if (registry_) registry_->add(stream);
  stream->attach(sink, std::nullopt);
  if (options_.prime) stream->sendRaw(ssePriming(stream->reserveEventId(), options_.retry));
  stream_ = std::move(stream);
  return true;
}

bool PostStream::send(const std::string& message) {
  std::lock_guard lock(mutex_);
  if (!upgrade()) return false;
  return stream_->send(message);
}

void PostStream::release() {
  std::lock_guard lock(mutex_);
  if (!options_.resumable || !options_.prime) return;
  if (!upgrade()) return;
  stream_->release();
}

bool PostStream::connected() const {
  std::lock_guard lock(mutex_);
  if (!stream_) return !failed_;
  return stream_->connected();
}

bool PostStream::finish(const std::string& response) {
  std::lock_guard lock(mutex_);
  if (!stream_) return false;
  stream_->complete(response);
  return true;
}

bool PostStream::close() {
  std::lock_guard lock(mutex_);
  if (!stream_) return false;
  stream_->close();
  return true;
}

bool PostStream::upgraded() const {
  std::lock_guard lock(mutex_);
  return static_cast<bool>(stream_);
}

}  // namespace portcullis::transport
