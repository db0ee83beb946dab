#pragma once
// The TLS context of the core's outgoing HTTPS requests (client metadata
// documents, upstream authorization servers): the peer's certificate is
// verified strictly, against the system's CAs and, in development, one
// extra CA file.

#include <string>

#include <Poco/Net/Context.h>

namespace portcullis::oauth {

inline Poco::Net::Context::Ptr verifyingClientContext(const std::string& caFile) {
  Poco::Net::Context::Params params;
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.loadDefaultCAs = true;
  params.caLocation = caFile;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

}  // namespace portcullis::oauth
