#include "core/transport/event_stream.hpp"

#include <charconv>

namespace portcullis::transport {

std::string sseEvent(std::string_view data, std::string_view id, std::string_view event) {
  std::string frame;
  frame.reserve(data.size() + id.size() + 32);
  if (!event.empty()) {
    frame += "event: ";
    frame += event;
    frame += '\n';
  }
  if (!id.empty()) {
    frame += "id: ";
    frame += id;
    frame += '\n';
  }
  // A data line may not contain a line break (LF, CR or CRLF); split where
  // one occurs so nothing in the data can start a field of its own.
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    frame += "data: ";
    frame += data.substr(start, end == std::string_view::npos ? end : end - start);
    frame += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  frame += '\n';
  return frame;
}

std::string ssePriming(std::string_view id, std::chrono::milliseconds retry) {
  std::string frame = "id: ";
  frame += id;
  frame += "\nretry: " + std::to_string(retry.count()) + "\ndata: \n\n";
  return frame;
}

EventStream::EventStream(StreamHub& hub, std::string id, EventStreamOptions options)
    : hub_(hub), id_(std::move(id)), options_(options) {}

EventStream::~EventStream() {
  std::lock_guard lock(mutex_);
  if (sink_ != 0) hub_.finish(sink_);
}

bool EventStream::deliver(const std::string& frame) {
  if (sink_ == 0) {
    // Held until the first connection arrives (bounded like a stream queue).
    if (!attachedOnce_ && early_.size() < 1024) {
      early_.push_back(frame);
      return true;
    }
    return false;
  }
  if (!hub_.send(sink_, frame)) {
    sink_ = 0;
    return false;
  }
  return true;
}

std::string EventStream::reserveEventId() {
  std::lock_guard lock(mutex_);
  return id_ + "_" + std::to_string(nextSeq_++);
}

bool EventStream::send(const std::string& message) {
  std::lock_guard lock(mutex_);
  if (completed_) return false;
  if (!options_.resumable) return deliver(sseEvent(message));
  const uint64_t seq = nextSeq_++;
  std::string frame = sseEvent(message, id_ + "_" + std::to_string(seq));
  const bool delivered = deliver(frame);
  history_.push_back({seq, std::move(frame)});
  while (history_.size() > options_.history) history_.pop_front();
  // Kept for a reconnect even when no connection is open right now.
  return delivered || options_.history > 0;
}

bool EventStream::sendRaw(const std::string& frame) {
  std::lock_guard lock(mutex_);
  return deliver(frame);
}

void EventStream::release() {
  std::lock_guard lock(mutex_);
  if (!options_.resumable || sink_ == 0) return;
  hub_.finish(sink_);
  sink_ = 0;
}

bool EventStream::connected() const {
  std::lock_guard lock(mutex_);
  return sink_ != 0 && hub_.alive(sink_);
}

void EventStream::attach(StreamHub::Id sink, std::optional<uint64_t> afterSeq) {
  std::lock_guard lock(mutex_);
  if (sink_ != 0 && sink_ != sink) hub_.finish(sink_);
  sink_ = sink;
  if (!attachedOnce_) {
    attachedOnce_ = true;
    // Resumable streams replay from their history instead.
    if (!afterSeq && !options_.resumable) {
      for (const auto& frame : early_) {
        if (!deliver(frame)) break;
      }
    }
    early_.clear();
  }
  if (afterSeq) {
    for (const auto& event : history_) {
      if (event.seq > *afterSeq && !deliver(event.frame)) return;
    }
  }
  if (completed_ && sink_ != 0) {
    hub_.finish(sink_);
    sink_ = 0;
  }
}

void EventStream::sinkClosed(StreamHub::Id sink) {
  std::lock_guard lock(mutex_);
  if (sink_ == sink) sink_ = 0;
}

void EventStream::complete(const std::string& message) {
  std::lock_guard lock(mutex_);
  if (completed_) return;
  if (options_.resumable) {
    const uint64_t seq = nextSeq_++;
    std::string frame = sseEvent(message, id_ + "_" + std::to_string(seq));
    deliver(frame);
    history_.push_back({seq, std::move(frame)});
    while (history_.size() > options_.history) history_.pop_front();
  } else {
    deliver(sseEvent(message));
  }
  completed_ = true;
  if (sink_ != 0) {
    hub_.finish(sink_);
    sink_ = 0;
  }
}

void EventStream::close() {
  std::lock_guard lock(mutex_);
  completed_ = true;
  if (sink_ != 0) {
    hub_.finish(sink_);
    sink_ = 0;
  }
}

bool EventStream::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

std::optional<uint64_t> EventStream::sequenceOf(const std::string& eventId) const {
  const size_t cut = eventId.rfind('_');
  if (cut == std::string::npos || eventId.compare(0, cut, id_) != 0 || cut != id_.size()) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  const char* begin = eventId.data() + cut + 1;
  const char* end = eventId.data() + eventId.size();
  const auto [ptr, ec] = std::from_chars(begin, end, seq);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (seq >= nextSeq_) return std::nullopt;
  return seq;
}

void SessionStreams::add(const std::shared_ptr<EventStream>& stream) {
  std::lock_guard lock(mutex_);
  streams_.push_back(stream);
  // Forget the oldest finished streams first.
  while (streams_.size() > max_) {
    auto victim = streams_.begin();
    for (auto it = streams_.begin(); it != streams_.end(); ++it) {
      if ((*it)->completed()) {
        victim = it;
        break;
      }
    }
    streams_.erase(victim);
  }
}

std::shared_ptr<EventStream> SessionStreams::find(const std::string& streamId) const {
  std::lock_guard lock(mutex_);
  if (standalone_ && standalone_->id() == streamId) return standalone_;
  for (const auto& s : streams_) {
    if (s->id() == streamId) return s;
  }
  return nullptr;
}

std::shared_ptr<EventStream> SessionStreams::forEvent(const std::string& eventId, uint64_t& seq) const {
  const size_t cut = eventId.rfind('_');
  if (cut == std::string::npos) return nullptr;
  auto stream = find(eventId.substr(0, cut));
  if (!stream) return nullptr;
  auto found = stream->sequenceOf(eventId);
  if (!found) return nullptr;
  seq = *found;
  return stream;
}

std::shared_ptr<EventStream> SessionStreams::standalone() const {
  std::lock_guard lock(mutex_);
  return standalone_;
}

void SessionStreams::setStandalone(std::shared_ptr<EventStream> stream) {
  std::lock_guard lock(mutex_);
  standalone_ = std::move(stream);
}

void SessionStreams::onSessionClosed() {
  std::deque<std::shared_ptr<EventStream>> streams;
  std::shared_ptr<EventStream> standalone;
  {
    std::lock_guard lock(mutex_);
    streams.swap(streams_);
    standalone.swap(standalone_);
  }
  for (auto& s : streams) s->close();
  if (standalone) standalone->close();
}

}  // namespace portcullis::transport
