#include "core/transport/channel.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>

namespace portcullis::transport {

namespace {
Channel::Wait fromTls(TlsSession::Wait wait) {
  switch (wait) {
    case TlsSession::Wait::None: return Channel::Wait::None;
    case TlsSession::Wait::Read: return Channel::Wait::Read;
    case TlsSession::Wait::Write: return Channel::Wait::Write;
    case TlsSession::Wait::Failed: break;
  }
  return Channel::Wait::Closed;
}

int clampSize(size_t size) { return size > INT_MAX ? INT_MAX : static_cast<int>(size); }
}  // namespace

Channel::Channel(Poco::Net::StreamSocket socket, std::shared_ptr<TlsSession> tls)
    : socket_(std::move(socket)), tls_(std::move(tls)) {
  const int fd = this->fd();
  if (fd >= 0) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }
}

int Channel::fd() const { return socket_.impl() != nullptr ? static_cast<int>(socket_.impl()->sockfd()) : -1; }

Channel::Io Channel::read(char* data, size_t size) {
  if (tls_) {
    TlsSession::Wait wait = TlsSession::Wait::None;
    const int n = tls_->read(data, clampSize(size), wait);
    return n > 0 ? Io{static_cast<size_t>(n), Wait::None} : Io{0, fromTls(wait)};
  }
  while (true) {
    const ssize_t n = ::recv(fd(), data, size, MSG_DONTWAIT);
    if (n > 0) return {static_cast<size_t>(n), Wait::None};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return {0, Wait::Read};
    return {0, Wait::Closed};
  }
}

Channel::Io Channel::write(const char* data, size_t size) {
  if (tls_) {
    TlsSession::Wait wait = TlsSession::Wait::None;
    const int n = tls_->write(data, clampSize(size), wait);
    return n > 0 ? Io{static_cast<size_t>(n), Wait::None} : Io{0, fromTls(wait)};
  }
  while (true) {
    const ssize_t n = ::send(fd(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) return {static_cast<size_t>(n), Wait::None};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return {0, Wait::Write};
    return {0, Wait::Closed};
  }
}

Channel::Wait Channel::handshake() { return tls_ ? fromTls(tls_->handshake()) : Wait::None; }

size_t Channel::pending() const { return tls_ ? static_cast<size_t>(tls_->pending()) : 0; }

void Channel::close() {
  if (tls_) tls_->shutdown();
  try {
    socket_.shutdown();
  } catch (const Poco::Exception&) {
  }
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
  }
}

}  // namespace portcullis::transport
