#include "http_transport.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>

#include "sse_parser.hpp"

namespace portcullis::mcp_upstream {

using Poco::Net::HTTPClientSession;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

namespace {

Poco::Timespan span(Millis m) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(m.count()) * 1000);
}

// Reads a whole body, refusing one larger than `cap`.
std::string readCapped(std::istream& in, size_t cap) {
  std::string body;
  char chunk[16384];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    body.append(chunk, static_cast<size_t>(in.gcount()));
    if (body.size() > cap)
      throw UpstreamError("a reply larger than " + std::to_string(cap) + " bytes");
  }
  return body;
}

// Feeds an event stream to the parser as bytes arrive, until it ends (then
// true) or `stop` is set (false).
bool readEvents(std::istream& in, SseParser& parser, const std::atomic<bool>& stop) {
  std::streambuf* buffer = in.rdbuf();
  char chunk[16384];
  while (!stop) {
    const int first = buffer->sbumpc();
    if (first == std::char_traits<char>::eof()) return true;
    chunk[0] = static_cast<char>(first);
    std::streamsize n = 1;
    const std::streamsize available = buffer->in_avail();
    if (available > 0)
      n += buffer->sgetn(chunk + 1, std::min<std::streamsize>(available, sizeof chunk - 1));
    parser.feed(std::string_view(chunk, static_cast<size_t>(n)));
  }
  return false;
}

// An idle keep-alive connection has nothing to read unless the upstream
// closed it (or broke the protocol): either way it cannot carry a request.
bool closedByPeer(HTTPClientSession& session) {
  try {
    return session.connected() &&
           session.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
  } catch (const Poco::Exception&) {
    return true;
  }
}

bool isEventStream(const HTTPResponse& response) {
  return response.getContentType().rfind("text/event-stream", 0) == 0;
}

void deliverBody(const std::string& body, const std::optional<Json>& related,
                 const Transport::Handlers& handlers) {
  std::string reason;
  auto parsed = parseMessage(body, reason);
  if (!parsed) throw UpstreamError("the upstream's reply is " + reason);
  if (parsed->is_array()) {
    for (const auto& m : *parsed) handlers.inbound(m, related);
  } else {
    handlers.inbound(*parsed, related);
  }
}

SseParser eventParser(const Transport::Handlers& handlers) {
  return SseParser(kMaxMessageBytes, [&handlers](const SseEvent& e) {
    if (e.event != "message" || e.data.empty()) return;
    std::string reason;
    if (auto m = parseMessage(e.data, reason))
      handlers.inbound(*m, std::nullopt);
    else
      handlers.log(sdk::LogLevel::Warning, "ignored an event of the upstream: " + reason);
  });
}

}  // namespace

HttpEndpoint::HttpEndpoint(const Settings& settings, const std::string& url)
    : settings_(settings), uri_(url) {
  if (uri_.getScheme() != "http" && uri_.getScheme() != "https")
    throw std::invalid_argument("url: http or https only");
  if (uri_.getHost().empty()) throw std::invalid_argument("url: no host");
}

void HttpEndpoint::applyHeaders(HTTPRequest& request, const Headers& extra) const {
  for (const auto& [k, v] : settings_.headers) request.set(k, v);
  if (settings_.credentials) request.set("Authorization", settings_.credentials->authorization());
  for (const auto& [k, v] : extra) request.set(k, v);
}

bool HttpEndpoint::refused() const {
  if (!settings_.credentials) return false;
  settings_.credentials->forget();
  return true;
}

std::string HttpEndpoint::target(const Poco::URI& uri) const {
  const std::string path = uri.getPathEtc();
  return path.empty() ? "/" : path;
}

HttpEndpoint::Lease& HttpEndpoint::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    session_ = std::move(other.session_);
    pooled_ = std::exchange(other.pooled_, false);
    kept_ = std::exchange(other.kept_, false);
  }
  return *this;
}

void HttpEndpoint::Lease::reset() {
  if (session_ && pooled_ && owner_ != nullptr) owner_->giveBack(std::move(session_), kept_);
  session_.reset();
  owner_ = nullptr;
  pooled_ = kept_ = false;
}

std::unique_ptr<HTTPClientSession> HttpEndpoint::connect() const {
  std::unique_ptr<HTTPClientSession> session;
  if (uri_.getScheme() == "https") {
    static const Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                               Poco::Net::Context::VERIFY_RELAXED, 9, true);
    session =
        std::make_unique<Poco::Net::HTTPSClientSession>(uri_.getHost(), uri_.getPort(), context);
  } else {
    session = std::make_unique<HTTPClientSession>(uri_.getHost(), uri_.getPort());
  }
  session->setKeepAlive(true);
  return session;
}

std::unique_ptr<HTTPClientSession> HttpEndpoint::takeLocked() {
  while (!idle_.empty()) {
    auto session = std::move(idle_.back());
    idle_.pop_back();
    if (!closedByPeer(*session)) return session;
    --open_;  // the upstream let go of it while it was idle
  }
  if (open_ >= settings_.pool) return nullptr;
  ++open_;  // counted now; the socket connects on first use
  return connect();
}

HttpEndpoint::Lease HttpEndpoint::lend(std::unique_ptr<HTTPClientSession> session, bool pooled,
                                       Millis receiveTimeout) {
  session->setTimeout(span(settings_.connectTimeout), span(settings_.requestTimeout),
                      span(receiveTimeout));
  return Lease(this, std::move(session), pooled);
}

HttpEndpoint::Lease HttpEndpoint::acquire(Millis receiveTimeout) {
  std::unique_ptr<HTTPClientSession> session;
  {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + settings_.requestTimeout;
    for (;;) {
      if (stopped_) throw UpstreamError("the connection is closing");
      if ((session = takeLocked())) break;
      if (freed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        if (!stopped_ && (session = takeLocked())) break;
        throw UpstreamError("no connection to " + uri_.toString() + " came free within " +
                            std::to_string(settings_.requestTimeout.count()) + " ms (pool " +
                            std::to_string(settings_.pool) + ")");
      }
    }
  }
  return lend(std::move(session), true, receiveTimeout);
}

HttpEndpoint::Lease HttpEndpoint::tryAcquire(Millis receiveTimeout) {
  std::unique_ptr<HTTPClientSession> session;
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) session = takeLocked();
  }
  if (!session) return Lease();
  return lend(std::move(session), true, receiveTimeout);
}

HttpEndpoint::Lease HttpEndpoint::acquireNow(Millis receiveTimeout) {
  Lease lease = tryAcquire(receiveTimeout);
  if (lease.get() != nullptr) return lease;
  return dedicated(receiveTimeout);
}

HttpEndpoint::Lease HttpEndpoint::dedicated(Millis receiveTimeout) {
  auto session = connect();
  session->setKeepAlive(false);
  return lend(std::move(session), false, receiveTimeout);
}

void HttpEndpoint::giveBack(std::unique_ptr<HTTPClientSession> session, bool reuse) {
  {
    std::lock_guard lock(mutex_);
    if (reuse && !stopped_) {
      idle_.push_back(std::move(session));
    } else {
      --open_;
    }
  }
  session.reset();  // closes a connection not kept, outside the lock
  freed_.notify_one();
}

void HttpEndpoint::stop() {
  std::vector<std::unique_ptr<HTTPClientSession>> idle;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    open_ -= idle_.size();
    idle.swap(idle_);
  }
  freed_.notify_all();
}

void RequestWorkers::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      job.fail("the connection is closing");
      return;
    }
    queue_.push_back(Queued{std::move(job), std::chrono::steady_clock::now()});
    if (idle_ < queue_.size() && threads_.size() < limit_)
      threads_.emplace_back([this] { work(); });
  }
  ready_.notify_one();
}

bool RequestWorkers::waiting() {
  std::lock_guard lock(mutex_);
  return !queue_.empty();
}

bool RequestWorkers::withdraw(const std::string& key) {
  std::lock_guard lock(mutex_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->job.key == key) {
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

void RequestWorkers::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (stopping_) return;
    // The connection first: until it is there, the request stays in the
    // queue, where the caller can still withdraw it.
    lock.unlock();
    HttpEndpoint::Lease lease;
    try {
      lease = endpoint_.acquire(endpoint_.settings().requestTimeout);
    } catch (const UpstreamError&) {
      // Closing, or none came free: requests that waited too long fail below.
    }
    lock.lock();
    if (stopping_) return;
    std::vector<Queued> expired;
    const auto now = std::chrono::steady_clock::now();
    while (!queue_.empty() && now - queue_.front().since > maxWait_) {
      expired.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    std::optional<Queued> next;
    if (lease.get() != nullptr && !queue_.empty()) {
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    for (auto& q : expired) {
      q.job.fail("no connection to the upstream came free within " +
                 std::to_string(maxWait_.count()) + " ms");
    }
    if (next) next->job.run(std::move(lease));
    next.reset();  // the job's captures go before the lock is taken again
    expired.clear();
    lease.reset();
    lock.lock();
  }
}

void RequestWorkers::stop() {
  std::deque<Queued> dropped;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
    threads.swap(threads_);
  }
  ready_.notify_all();
  for (auto& q : dropped) q.job.fail("the connection is closing");
  for (auto& t : threads) t.join();
}

void StreamThreads::start(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  reapFinished();
  auto done = std::make_shared<std::atomic<bool>>(false);
  readers_.push_back(Reader{std::thread([work = std::move(work), done] {
                              work();
                              *done = true;
                            }),
                            done});
}

void StreamThreads::reapFinished() {
  for (auto it = readers_.begin(); it != readers_.end();) {
    if (*it->done) {
      it->thread.join();
      it = readers_.erase(it);
    } else {
      ++it;
    }
  }
}

void StreamThreads::joinAll() {
  std::list<Reader> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(readers_);
  }
  for (auto& r : all) r.thread.join();
}

// --- Streamable HTTP ---

void StreamableHttpTransport::setProtocolVersion(const std::string& version, bool stateless) {
  std::lock_guard lock(mutex_);
  protocolVersion_ = version;
  stateless_ = stateless;
  if (!stateless_ && !getThread_.joinable())
    getThread_ = std::thread([this] { listenOnGetStream(); });
}

void StreamableHttpTransport::send(const Json& message, const Headers& extra) {
  if (closing_) throw UpstreamError("the connection is closing");
  const bool isRequest = message.contains("method") && message.contains("id");
  const bool handshake =
      isRequest && (message["method"] == "initialize" || message["method"] == "server/discover");
  if (!isRequest) {
    post(message, extra, false, Route::Immediate);
    return;
  }
  if (handshake) {
    post(message, extra, true, Route::Pooled);
    return;
  }
  const Json id = message["id"];
  auto fail = [this, id](const std::string& reason) { handlers_.requestFailed(id, reason); };
  if (message["method"] == "subscriptions/listen") {
    // Open as long as the subscription: a connection and thread of its own.
    streams_.start([this, message, extra, fail] {
      try {
        post(message, extra, false, Route::Stream);
      } catch (const std::exception& e) {
        fail(e.what());
      }
    });
    return;
  }
  if (sendInline(message, extra)) return;
  workers_.submit(RequestWorkers::Job{
      id.dump(),
      [this, message, extra, fail](HttpEndpoint::Lease session) {
        try {
          Outgoing out(this, message, false, Route::Pooled);
          begin(out, extra, std::move(session));
          receive(out);
          consume(out);
        } catch (const std::exception& e) {
          fail(e.what());
        }
      },
      fail});
}

HttpEndpoint::Lease StreamableHttpTransport::connection(Route route, Millis receiveTimeout) {
  switch (route) {
    case Route::Pooled:
      return endpoint_.acquire(receiveTimeout);
    case Route::Immediate:
      return endpoint_.acquireNow(receiveTimeout);
    case Route::Stream:
      break;
  }
  return endpoint_.dedicated(receiveTimeout);
}

void StreamableHttpTransport::track(const Json& id, HTTPClientSession* session) {
  std::lock_guard lock(mutex_);
  if (session != nullptr)
    active_[id.dump()] = session;
  else
    active_.erase(id.dump());
}

bool StreamableHttpTransport::abortRequest(const Json& id) {
  if (workers_.withdraw(id.dump())) return true;  // never sent: nothing to cancel upstream
  std::lock_guard lock(mutex_);
  if (!stateless_) return false;
  auto it = active_.find(id.dump());
  if (it != active_.end()) it->second->abort();
  return true;
}

bool StreamableHttpTransport::readReplyStream(std::istream& in, const std::optional<Json>& related,
                                              std::string& lastEventId, bool* ended) {
  bool answered = false;
  SseParser parser(kMaxMessageBytes, [&](const SseEvent& e) {
    if (!e.id.empty()) lastEventId = e.id;
    if (e.event != "message" || e.data.empty()) return;
    std::string reason;
    auto m = parseMessage(e.data, reason);
    if (!m) {
      handlers_.log(sdk::LogLevel::Warning, "ignored an event of the upstream: " + reason);
      return;
    }
    if (related && m->is_object() && !m->contains("method") && m->value("id", Json()) == *related)
      answered = true;
    handlers_.inbound(*m, related);
  });
  const bool reachedEnd = readEvents(in, parser, closing_);
  if (ended != nullptr) *ended = reachedEnd;
  return answered;
}

// A 2025 session upstream may end a reply stream early (it polls); the rest
// of the reply comes on a GET that names the last event seen.
bool StreamableHttpTransport::resume(const Json& id, std::string& lastEventId, Route route) {
  handlers_.released(id);
  for (int attempt = 0; attempt < 1000 && !closing_ && !lastEventId.empty(); ++attempt) {
    auto session = connection(route, endpoint_.settings().requestTimeout);
    session->setKeepAlive(false);
    HTTPRequest request(HTTPRequest::HTTP_GET, endpoint_.target(endpoint_.uri()),
                        HTTPRequest::HTTP_1_1);
    request.set("Accept", "text/event-stream");
    request.set("Last-Event-ID", lastEventId);
    {
      std::lock_guard lock(mutex_);
      request.set("Mcp-Session-Id", sessionId_);
      request.set("MCP-Protocol-Version", protocolVersion_);
    }
    endpoint_.applyHeaders(request, {});
    HTTPResponse response;
    track(id, session.get());
    try {
      session->sendRequest(request);
      std::istream& in = session->receiveResponse(response);
      if (response.getStatus() != 200 || !isEventStream(response)) {
        track(id, nullptr);
        return false;
      }
      const bool answered = readReplyStream(in, id, lastEventId);
      track(id, nullptr);
      if (answered) return true;
    } catch (const Poco::Exception&) {
      track(id, nullptr);
      return false;
    }
  }
  return false;
}

StreamableHttpTransport::Outgoing::~Outgoing() {
  if (related) owner->track(*related, nullptr);  // before the connection goes back
}

void StreamableHttpTransport::post(const Json& message, const Headers& extra, bool handshake,
                                   Route route) {
  Outgoing out(this, message, handshake, route);
  begin(out, extra, connection(route, endpoint_.settings().requestTimeout));
  receive(out);
  consume(out);
}

void StreamableHttpTransport::begin(Outgoing& out, const Headers& extra,
                                    HttpEndpoint::Lease session) {
  out.session = std::move(session);
  out.callerAuthorization = extra.count("Authorization") > 0;
  const std::string body = out.message.dump(-1, ' ', false, Json::error_handler_t::replace);
  HTTPRequest request(HTTPRequest::HTTP_POST, endpoint_.target(endpoint_.uri()),
                      HTTPRequest::HTTP_1_1);
  request.setContentType("application/json");
  request.set("Accept", "application/json, text/event-stream");
  {
    std::lock_guard lock(mutex_);
    out.stateless = stateless_;
    out.sessionId = sessionId_;
    if (!sessionId_.empty()) request.set("Mcp-Session-Id", sessionId_);
    if (!protocolVersion_.empty()) request.set("MCP-Protocol-Version", protocolVersion_);
  }
  endpoint_.applyHeaders(request, extra);
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  if (out.related) track(*out.related, out.session.get());
  try {
    // Flushed now, not by receiveResponse(): the caller polls for the reply first.
    out.session->sendRequest(request) << body << std::flush;
  } catch (const Poco::Exception& e) {
    throw UpstreamError("cannot reach " + endpoint_.uri().toString() + ": " + e.displayText());
  }
}

void StreamableHttpTransport::receive(Outgoing& out) {
  try {
    out.in = &out.session->receiveResponse(out.response);
  } catch (const Poco::Exception& e) {
    throw UpstreamError("cannot reach " + endpoint_.uri().toString() + ": " + e.displayText());
  }
  const int status = out.response.getStatus();
  if (out.handshake && (status == 404 || status == 405)) {
    throw NotStreamableHttp("the upstream answered " + out.message["method"].get<std::string>() +
                            " with HTTP " + std::to_string(status));
  }
  if (status == 404 && !out.handshake && !out.sessionId.empty()) {
    handlers_.lost("the upstream ended the session (HTTP 404)");
    throw UpstreamError("the upstream ended the session");
  }
  if (status >= 300 && status < 400) {
    throw UpstreamError("the upstream answered HTTP " + std::to_string(status) +
                        " (redirects are not followed)");
  }
  if (status == 401 && out.callerAuthorization) throw CallerRefused();
  if (status == 401 && endpoint_.refused()) {
    throw UpstreamError("the upstream refused the connector's access token (HTTP 401); the next request "
                        "gets a new one");
  }
  if (out.handshake && out.response.has("Mcp-Session-Id")) {
    std::lock_guard lock(mutex_);
    sessionId_ = out.response.get("Mcp-Session-Id");
  }
}

bool StreamableHttpTransport::streams(const Outgoing& out) {
  return isEventStream(out.response) && out.response.getStatus() < 300;
}

void StreamableHttpTransport::consume(Outgoing& out) {
  const int status = out.response.getStatus();
  const bool isRequest = out.related.has_value();
  const auto& related = out.related;
  std::istream& in = *out.in;
  try {
    if (status == 202 || status == 204) {
      readCapped(in, 64 * 1024);
      if (isRequest) throw UpstreamError("the upstream accepted the request without replying");
    } else if (streams(out)) {
      std::string lastEventId;
      bool ended = false;
      bool answered = readReplyStream(in, related, lastEventId, &ended);
      // A stream read to its end leaves a reusable connection, like a JSON reply.
      if (ended && (answered || !isRequest) && !closing_ && out.response.getKeepAlive())
        out.session.keep();
      if (related) track(*related, nullptr);  // no abort may reach a connection given back
      out.session.reset();  // a resumed stream needs a connection of its own
      if (isRequest && !answered && !closing_ && !out.stateless && !lastEventId.empty()) {
        answered = resume(*related, lastEventId, out.route);
      }
      if (isRequest && !answered)
        handlers_.requestFailed(*related, "the upstream's reply stream ended without a result");
      return;
    } else {
      const std::string text = readCapped(in, status < 300 ? kMaxMessageBytes : 64 * 1024);
      if (status >= 300) {
        // An error status may still carry a JSON-RPC error for the request.
        Json parsed = Json::parse(text, nullptr, false);
        if (isRequest && parsed.is_object() && parsed.contains("error") &&
            parsed.value("id", Json()) == *related) {
          handlers_.inbound(parsed, related);
        } else {
          throw UpstreamError("the upstream answered HTTP " + std::to_string(status) + ": " +
                              text.substr(0, 200));
        }
      } else if (!text.empty()) {
        deliverBody(text, related, handlers_);
      }
    }
  } catch (const Poco::Exception& e) {
    throw UpstreamError("reading the upstream's reply failed: " + e.displayText());
  } catch (const std::length_error& e) {
    throw UpstreamError(e.what());
  }
  if (out.response.getKeepAlive()) out.session.keep();
}

bool StreamableHttpTransport::sendInline(const Json& message, const Headers& extra) {
  // Only with a connection free at once, and never ahead of requests waiting for one.
  if (workers_.waiting()) return false;
  auto session = endpoint_.tryAcquire(endpoint_.settings().requestTimeout);
  if (session.get() == nullptr) return false;
  const Json id = message["id"];
  auto out = std::make_shared<Outgoing>(this, message, false, Route::Pooled);
  begin(*out, extra, std::move(session));  // throws when it cannot be sent: the caller is told
  auto finish = [this, out, id](bool received) {
    try {
      if (!received) receive(*out);
      consume(*out);
    } catch (const std::exception& e) {
      handlers_.requestFailed(id, e.what());
    }
  };
  bool ready = false;
  try {
    ready = out->session->socket().poll(span(kInlineWait), Poco::Net::Socket::SELECT_READ);
  } catch (const Poco::Exception&) {
    ready = true;  // receive() reports what is wrong
  }
  if (ready) {
    try {
      receive(*out);
    } catch (const std::exception& e) {
      handlers_.requestFailed(id, e.what());
      return true;
    }
    // A reply stream may carry questions for the caller, who must be free to
    // answer them: it is read on a thread of its own, like a slow reply.
    if (!streams(*out)) {
      finish(true);
      return true;
    }
  }
  streams_.start([finish, ready] { finish(ready); });
  return true;
}

void StreamableHttpTransport::listenOnGetStream() {
  // Server notifications of a 2025 session (list changes, resource updates).
  while (!closing_) {
    HTTPResponse response;
    try {
      auto session = endpoint_.dedicated(Millis(3'600'000));
      HTTPRequest request(HTTPRequest::HTTP_GET, endpoint_.target(endpoint_.uri()),
                          HTTPRequest::HTTP_1_1);
      request.set("Accept", "text/event-stream");
      {
        std::lock_guard lock(mutex_);
        if (!sessionId_.empty()) request.set("Mcp-Session-Id", sessionId_);
        if (!protocolVersion_.empty()) request.set("MCP-Protocol-Version", protocolVersion_);
      }
      endpoint_.applyHeaders(request, {});
      {
        std::lock_guard lock(getMutex_);
        if (closing_) return;
        getSession_ = session.get();
      }
      session->sendRequest(request);
      std::istream& in = session->receiveResponse(response);
      if (response.getStatus() == 200 && isEventStream(response)) {
        SseParser parser = eventParser(handlers_);
        readEvents(in, parser, closing_);
      }
      std::lock_guard lock(getMutex_);
      getSession_ = nullptr;
    } catch (const std::exception& e) {
      std::lock_guard lock(getMutex_);
      getSession_ = nullptr;
      if (!closing_) handlers_.log(sdk::LogLevel::Debug, std::string("GET stream: ") + e.what());
    }
    if (response.getStatus() == 405 || response.getStatus() == 404) return;  // no stream offered
    std::unique_lock lock(getMutex_);
    closed_.wait_for(lock, std::chrono::seconds(1), [&] { return closing_.load(); });
  }
}

void StreamableHttpTransport::close() {
  if (closing_.exchange(true)) return;
  endpoint_.stop();
  {
    std::lock_guard lock(getMutex_);
    if (getSession_ != nullptr) getSession_->abort();
  }
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : active_) session->abort();  // long-lived reply streams
  }
  workers_.stop();
  closed_.notify_all();
  if (getThread_.joinable()) getThread_.join();
  streams_.joinAll();
  std::string sessionId;
  {
    std::lock_guard lock(mutex_);
    sessionId = sessionId_;
  }
  if (sessionId.empty()) return;
  try {
    // Ends the 2025 session politely; a failure changes nothing.
    auto session = endpoint_.dedicated(Millis(2'000));
    HTTPRequest request(HTTPRequest::HTTP_DELETE, endpoint_.target(endpoint_.uri()),
                        HTTPRequest::HTTP_1_1);
    request.set("Mcp-Session-Id", sessionId);
    endpoint_.applyHeaders(request, {});
    session->sendRequest(request);
    HTTPResponse response;
    session->receiveResponse(response).ignore(64 * 1024);
  } catch (const std::exception&) {
  }
}

// --- Legacy HTTP+SSE ---

void LegacySseTransport::open(Handlers handlers) {
  handlers_ = std::move(handlers);
  stream_ = endpoint_.dedicated(Millis(3'600'000));
  HTTPRequest request(HTTPRequest::HTTP_GET, endpoint_.target(endpoint_.uri()),
                      HTTPRequest::HTTP_1_1);
  request.set("Accept", "text/event-stream");
  endpoint_.applyHeaders(request, {});
  std::istream* in = nullptr;
  HTTPResponse response;
  try {
    stream_->sendRequest(request);
    in = &stream_->receiveResponse(response);
  } catch (const Poco::Exception& e) {
    throw UpstreamError("cannot reach " + endpoint_.uri().toString() + ": " + e.displayText());
  }
  if (response.getStatus() != 200 || !isEventStream(response)) {
    throw UpstreamError("the upstream's SSE endpoint answered HTTP " +
                        std::to_string(response.getStatus()));
  }
  streamThread_ = std::thread([this, in] {
    std::string why = "the event stream ended";
    try {
      SseParser parser(kMaxMessageBytes, [this](const SseEvent& e) {
        if (e.event == "endpoint") {
          std::lock_guard lock(mutex_);
          Poco::URI resolved(endpoint_.uri(), e.data);
          if (resolved.getHost() != endpoint_.uri().getHost() ||
              resolved.getPort() != endpoint_.uri().getPort()) {
            failure_ = "the upstream named an endpoint on another host";
          } else {
            postTarget_ = endpoint_.target(resolved);
          }
          ready_.notify_all();
          return;
        }
        if (e.event != "message") return;
        std::string reason;
        if (auto m = parseMessage(e.data, reason))
          handlers_.inbound(*m, std::nullopt);
        else
          handlers_.log(sdk::LogLevel::Warning, "ignored an event of the upstream: " + reason);
      });
      readEvents(*in, parser, closing_);
    } catch (const std::exception& e) {
      why = std::string("the event stream failed: ") + e.what();
    }
    {
      std::lock_guard lock(mutex_);
      if (failure_.empty()) failure_ = why;
    }
    ready_.notify_all();
    if (!closing_) handlers_.lost(why);
  });
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, endpoint_.settings().connectTimeout,
                       [&] { return !postTarget_.empty() || !failure_.empty(); })) {
    throw UpstreamError("the upstream sent no endpoint event");
  }
  if (postTarget_.empty()) throw UpstreamError(failure_);
}

void LegacySseTransport::send(const Json& message, const Headers& extra) {
  std::string target;
  {
    std::lock_guard lock(mutex_);
    target = postTarget_;
  }
  if (target.empty() || closing_) throw UpstreamError("the upstream's event stream is not open");
  const std::string body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  // Answers and notifications never wait behind requests for a connection.
  const bool isRequest = message.contains("method") && message.contains("id");
  auto session = isRequest ? endpoint_.acquire(endpoint_.settings().requestTimeout)
                           : endpoint_.acquireNow(endpoint_.settings().requestTimeout);
  HTTPRequest request(HTTPRequest::HTTP_POST, target, HTTPRequest::HTTP_1_1);
  request.setContentType("application/json");
  endpoint_.applyHeaders(request, extra);
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  HTTPResponse response;
  try {
    session->sendRequest(request) << body;
    readCapped(session->receiveResponse(response), 64 * 1024);
  } catch (const Poco::Exception& e) {
    throw UpstreamError("cannot reach " + endpoint_.uri().toString() + ": " + e.displayText());
  }
  if (response.getStatus() >= 300) {
    throw UpstreamError("the upstream refused a message with HTTP " +
                        std::to_string(response.getStatus()));
  }
  if (response.getKeepAlive()) session.keep();
}

void LegacySseTransport::close() {
  if (closing_.exchange(true)) return;
  endpoint_.stop();
  if (stream_.get() != nullptr) stream_->abort();
  if (streamThread_.joinable()) streamThread_.join();
}

}  // namespace portcullis::mcp_upstream
