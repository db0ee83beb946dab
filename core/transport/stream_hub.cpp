#include "core/transport/stream_hub.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "core/common/log.hpp"

namespace portcullis::transport {

using Clock = std::chrono::steady_clock;

struct StreamHub::Stream {
  Id id = 0;
  Channel channel;  // used under `mutex` (a TLS session is not thread-safe)
  int fd = -1;
  bool chunked = true;
  std::mutex mutex;
  std::string out;
  size_t offset = 0;
  bool finishing = false;
  bool dead = false;
  bool wantWrite = false;
  bool closeQueued = false;
  Clock::time_point lastWrite = Clock::now();
  ClosedCallback onClosed;
};

namespace {

constexpr uint64_t kWakeTag = 0;

void appendChunk(std::string& out, std::string_view frame, bool chunked) {
  if (!chunked) {
    out.append(frame);
    return;
  }
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", frame.size());
  out.append(size, static_cast<size_t>(n));
  out.append(frame);
  out.append("\r\n");
}

}  // namespace

StreamHub::StreamHub(StreamHubOptions options) : options_(options) {}

StreamHub::~StreamHub() { stop(); }

void StreamHub::start() {
  if (running_.exchange(true)) return;
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeFd_, &ev);
  thread_ = std::thread([this] { run(); });
}

void StreamHub::stop() {
  if (!running_.exchange(false)) return;
  wake();
  if (thread_.joinable()) thread_.join();
  std::vector<Id> ids;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : streams_) ids.push_back(id);
  }
  for (Id id : ids) close(id);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (epoll_ >= 0) ::close(epoll_);
  wakeFd_ = epoll_ = -1;
}

std::shared_ptr<StreamHub::Stream> StreamHub::find(Id id) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

void StreamHub::queueClose(Stream& stream) {
  if (stream.closeQueued) return;
  stream.closeQueued = true;
  {
    std::lock_guard lock(mutex_);
    closeQueue_.push_back(stream.id);
  }
  wake();
}

void StreamHub::wake() {
  if (wakeFd_ < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

StreamHub::Id StreamHub::open(Channel channel, std::string head, bool chunked, ClosedCallback onClosed) {
  auto stream = std::make_shared<Stream>();
  {
    std::lock_guard lock(mutex_);
    if (!running_ || streams_.size() >= options_.maxStreams) return 0;
    stream->id = nextId_++;
    streams_[stream->id] = stream;
  }
  stream->channel = std::move(channel);
  stream->fd = stream->channel.fd();
  stream->chunked = chunked;
  stream->onClosed = std::move(onClosed);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = stream->id;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, stream->fd, &ev);
  std::lock_guard lock(stream->mutex);
  stream->out = std::move(head);
  if (!flush(*stream)) {
    stream->dead = true;
    queueClose(*stream);
  }
  return stream->id;
}

namespace {

// Reads and discards what the client sent: clients send nothing on a
// response stream, so anything readable is stray bytes or the end of the
// connection. True when the connection ended.
bool drain(Channel& channel) {
  char buffer[512];
  while (true) {
    const Channel::Io io = channel.read(buffer, sizeof buffer);
    if (io.bytes > 0) continue;
    return io.wait == Channel::Wait::Closed;
  }
}

}  // namespace

bool StreamHub::flush(Stream& s) {
  while (s.offset < s.out.size()) {
    const Channel::Io io = s.channel.write(s.out.data() + s.offset, s.out.size() - s.offset);
    if (io.bytes > 0) {
      s.offset += io.bytes;
      continue;
    }
    if (io.wait != Channel::Wait::Closed) {
      if (!s.wantWrite) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
        ev.data.u64 = s.id;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
        s.wantWrite = true;
      }
      return true;
    }
    return false;
  }
  s.out.clear();
  s.offset = 0;
  s.lastWrite = Clock::now();
  if (s.wantWrite) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = s.id;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
    s.wantWrite = false;
  }
  if (s.finishing) queueClose(s);
  return true;
}

bool StreamHub::send(Id id, std::string_view frame) {
  std::shared_ptr<Stream> stream = find(id);
  if (!stream) return false;
  std::lock_guard lock(stream->mutex);
  if (stream->dead || stream->finishing) return false;
  appendChunk(stream->out, frame, stream->chunked);
  // Write first: the cap bounds what a slow reader leaves waiting, not the
  // size of one message.
  if (!flush(*stream)) {
    stream->dead = true;
  } else if (stream->out.size() - stream->offset > options_.maxQueuedBytes) {
    common::logger("transport").warning("dropping stream %Lu: the client reads too slowly",
                                        static_cast<unsigned long long>(id));
    stream->dead = true;
  }
  if (stream->dead) {
    queueClose(*stream);
    return false;
  }
  return true;
}

void StreamHub::finish(Id id) {
  std::shared_ptr<Stream> stream = find(id);
  if (!stream) return;
  std::lock_guard lock(stream->mutex);
  if (stream->dead || stream->finishing) return;
  if (stream->chunked) stream->out.append("0\r\n\r\n");
  stream->finishing = true;
  if (!flush(*stream)) {
    stream->dead = true;
    queueClose(*stream);
  }
}

void StreamHub::abort(Id id) {
  std::shared_ptr<Stream> stream = find(id);
  if (!stream) return;
  std::lock_guard lock(stream->mutex);
  stream->dead = true;
  queueClose(*stream);
}

size_t StreamHub::size() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

bool StreamHub::full() const {
  std::lock_guard lock(mutex_);
  return streams_.size() >= options_.maxStreams;
}

bool StreamHub::alive(Id id) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(id);
  return it != streams_.end() && !it->second->dead;
}

void StreamHub::close(Id id) {
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    stream = it->second;
    streams_.erase(it);
  }
  ClosedCallback callback;
  {
    std::lock_guard lock(stream->mutex);
    stream->dead = true;
    if (epoll_ >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, stream->fd, nullptr);
    stream->channel.close();
    callback.swap(stream->onClosed);
  }
  if (callback) {
    try {
      callback(id);
    } catch (const std::exception& e) {
      common::logger("transport").error("stream close callback failed: %s", std::string(e.what()));
    }
  }
}

void StreamHub::heartbeats() {
  const auto now = Clock::now();
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard lock(mutex_);
    all.reserve(streams_.size());
    for (auto& [id, s] : streams_) all.push_back(s);
  }
  for (auto& s : all) {
    std::lock_guard lock(s->mutex);
    if (s->dead || s->finishing || s->offset < s->out.size()) continue;
    if (now - s->lastWrite < options_.heartbeat) continue;
    appendChunk(s->out, ": keepalive\n\n", s->chunked);
    if (!flush(*s)) {
      s->dead = true;
      queueClose(*s);
    }
  }
}

void StreamHub::run() {
  std::vector<epoll_event> events(512);
  auto lastBeat = Clock::now();
  const auto tick = std::min<std::chrono::milliseconds>(options_.heartbeat / 2, std::chrono::milliseconds(1000));
  while (running_) {
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::max<int64_t>(tick.count(), 10)));
    std::vector<Id> toClose;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t drained = 0;
        [[maybe_unused]] ssize_t r = ::read(wakeFd_, &drained, sizeof drained);
        continue;
      }
      std::shared_ptr<Stream> stream;
      {
        std::lock_guard lock(mutex_);
        auto it = streams_.find(tag);
        if (it == streams_.end()) continue;
        stream = it->second;
      }
      const uint32_t flags = events[i].events;
      bool gone = false;
      if ((flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        std::lock_guard lock(stream->mutex);  // a TLS session is not shared between threads
        gone = drain(stream->channel);
        if ((flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) gone = true;
      }
      if (!gone && (flags & EPOLLOUT) != 0) {
        std::lock_guard lock(stream->mutex);
        if (!flush(*stream)) gone = true;
      }
      if (gone) toClose.push_back(tag);
    }
    {
      std::lock_guard lock(mutex_);
      toClose.insert(toClose.end(), closeQueue_.begin(), closeQueue_.end());
      closeQueue_.clear();
    }
    for (Id id : toClose) close(id);
    if (Clock::now() - lastBeat >= tick) {
      heartbeats();
      lastBeat = Clock::now();
    }
  }
}

void refuseStream(Channel& channel) {
  static const std::string kResponse =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 62\r\n"
      "Connection: close\r\n\r\n{\"error\":\"unavailable\",\"error_description\":\"too many streams\"}";
  // Nothing was written yet, so the whole answer fits the socket's buffer;
  // a client that does not even take that much is not waited for.
  size_t sent = 0;
  for (int attempt = 0; sent < kResponse.size() && attempt < 50; ++attempt) {
    const Channel::Io io = channel.write(kResponse.data() + sent, kResponse.size() - sent);
    if (io.bytes > 0) {
      sent += io.bytes;
      continue;
    }
    if (io.wait == Channel::Wait::Closed) break;
    try {
      channel.socket().poll(Poco::Timespan(20'000), io.wait == Channel::Wait::Write ? Poco::Net::Socket::SELECT_WRITE
                                                                                    : Poco::Net::Socket::SELECT_READ);
    } catch (const Poco::Exception&) {
      break;
    }
  }
  channel.close();
}

}  // namespace portcullis::transport
