#pragma once
// Where the Authorization header of the connector's own requests (the
// handshake, listing, the listen stream) comes from: OAuth client
// credentials, or a user's linked account.

#include <string>

namespace portcullis::mcp_upstream {

class ConnectorCredentials {
 public:
  virtual ~ConnectorCredentials() = default;
  // "Bearer <token>"; throws UpstreamError when there is none to be had.
  virtual std::string authorization() = 0;
  // The upstream answered 401: the next authorization() gets a new token.
  virtual void forget() = 0;
};

}  // namespace portcullis::mcp_upstream
