#pragma once
// The bytes of one client connection: the TCP socket, with a TLS session on
// it when the server speaks HTTPS. Reads and writes never block; each says
// how much it did or what it must wait for. Whoever holds the channel (a
// request thread, then the stream hub) is its only user at any time.

#include <sys/types.h>

#include <memory>

#include <Poco/Net/StreamSocket.h>

#include "core/transport/tls.hpp"

namespace portcullis::transport {

class Channel {
 public:
  enum class Wait { None, Read, Write, Closed };
  struct Io {
    size_t bytes = 0;  // > 0: done
    Wait wait = Wait::None;  // bytes == 0: what to wait for, or Closed
  };

  Channel() = default;
  // Puts the socket in non-blocking mode.
  Channel(Poco::Net::StreamSocket socket, std::shared_ptr<TlsSession> tls);

  Io read(char* data, size_t size);
  Io write(const char* data, size_t size);
  // Steps the TLS handshake (plain channels are always done).
  Wait handshake();
  // Bytes already received that poll cannot see (decrypted TLS records).
  size_t pending() const;
  bool tls() const { return tls_ != nullptr; }
  int fd() const;
  Poco::Net::StreamSocket& socket() { return socket_; }
  const Poco::Net::StreamSocket& socket() const { return socket_; }
  // Ends the connection (close_notify first under TLS). Idempotent.
  void close();

 private:
  Poco::Net::StreamSocket socket_;
  std::shared_ptr<TlsSession> tls_;
};

}  // namespace portcullis::transport
