#include "core/transport/tls.hpp"

#include <openssl/err.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <Poco/Net/SSLManager.h>

#include "core/common/error.hpp"

namespace portcullis::transport {

Poco::Net::Context::Ptr makeServerContext(const std::string& certFile, const std::string& keyFile) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { Poco::Net::initializeSSL(); });
  for (const auto& [setting, file] : {std::pair{"server.tls.cert", certFile}, std::pair{"server.tls.key", keyFile}}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      throw common::StartupError(std::string(setting) + ": cannot read " + file);
    }
  }
  Poco::Net::Context::Params params;
  params.certificateFile = certFile;
  params.privateKeyFile = keyFile;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients authenticate with tokens
  params.loadDefaultCAs = false;
  params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!SHA1@STRENGTH";
  Poco::Net::Context::Ptr context;
  try {
    context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context->preferServerCiphers();
  } catch (const Poco::Exception& e) {
    throw common::StartupError("server.tls: the certificate or key cannot be used: " + e.displayText());
  }
  SSL_CTX* ctx = context->sslContext();
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw common::StartupError("server.tls: the key " + keyFile + " does not belong to the certificate " + certFile);
  }
  // Streams append to their buffer while a write waits, and take partial
  // writes; no renegotiation (a way to make the server do work for free).
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  return context;
}

TlsSession::TlsSession(Poco::Net::Context::Ptr context, int fd) : context_(std::move(context)) {
  ssl_ = SSL_new(context_->sslContext());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd) != 1) {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    throw std::runtime_error("cannot create a TLS session");
  }
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsSession::Wait TlsSession::waitFor(int result) {
  const int error = SSL_get_error(ssl_, result);
  // Errors stay on OpenSSL's per-thread queue unless cleared, and would be
  // reported against the next, unrelated, session on this thread.
  ERR_clear_error();
  if (error == SSL_ERROR_WANT_READ) return Wait::Read;
  if (error == SSL_ERROR_WANT_WRITE) return Wait::Write;
  return Wait::Failed;
}

TlsSession::Wait TlsSession::handshake() {
  const int rc = SSL_do_handshake(ssl_);
  return rc == 1 ? Wait::None : waitFor(rc);
}

int TlsSession::read(char* data, int size, Wait& wait) {
  const int n = SSL_read(ssl_, data, size);
  if (n > 0) {
    wait = Wait::None;
    return n;
  }
  wait = waitFor(n);
  return 0;
}

int TlsSession::write(const char* data, int size, Wait& wait) {
  const int n = SSL_write(ssl_, data, size);
  if (n > 0) {
    wait = Wait::None;
    return n;
  }
  wait = waitFor(n);
  return 0;
}

int TlsSession::pending() const { return SSL_pending(ssl_); }

void TlsSession::shutdown() {
  if (SSL_is_init_finished(ssl_) == 1) SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace portcullis::transport
