#pragma once
// HTTPS served directly (server.tls.cert and server.tls.key). Poco NetSSL
// builds the server context from the PEM files; each connection's TLS
// session is driven here on OpenSSL directly, non-blocking, because Poco
// 1.11's SecureStreamSocket keeps blocking on the socket inside it whatever
// mode the outer socket is set to, so a client that stalls mid-handshake or
// mid-record would hold a thread past every deadline (docs/adr/0007).

#include <openssl/ssl.h>

#include <string>

#include <Poco/Net/Context.h>

namespace portcullis::transport {

// TLS 1.2 and newer, the certificate chain and key from PEM files. Throws
// common::StartupError naming the setting that could not be used.
Poco::Net::Context::Ptr makeServerContext(const std::string& certFile, const std::string& keyFile);

// The TLS session of one accepted connection. Used by one thread at a time.
class TlsSession {
 public:
  enum class Wait { None, Read, Write, Failed };

  TlsSession(Poco::Net::Context::Ptr context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // One step of the server handshake: None once it is complete.
  Wait handshake();
  // Bytes read or written (> 0), or 0 and what to wait for first; Failed
  // also stands for the end of the connection.
  int read(char* data, int size, Wait& wait);
  int write(const char* data, int size, Wait& wait);
  // Decrypted bytes waiting inside the session, which poll cannot see.
  int pending() const;
  // Sends close_notify, without waiting for the answer.
  void shutdown();

 private:
  Wait waitFor(int result);

  Poco::Net::Context::Ptr context_;  // outlives the session
  SSL* ssl_ = nullptr;
};

}  // namespace portcullis::transport
