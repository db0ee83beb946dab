// The pure parts of client credentials towards an upstream: the token
// request (form encoding, Basic or post), and the answers of the token
// endpoint, good and hostile.

#include "client_credentials.hpp"

#include <gtest/gtest.h>

#include <Poco/Base64Decoder.h>

#include <sstream>

#include "transport.hpp"

namespace portcullis::mcp_upstream {
namespace {

std::string unbase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  return std::string(std::istreambuf_iterator<char>(decoder), {});
}

ClientCredentialsSettings settings() {
  ClientCredentialsSettings s;
  s.tokenUrl = "http://127.0.0.1:9/oauth/token";
  s.clientId = "gateway one";
  s.clientSecret = "s3cr+t%&=";
  return s;
}

TEST(ClientCredentialsRequest, BasicFormEncodesBothPartsBeforeJoiningThem) {
  const TokenRequest r = tokenRequest(settings());
  EXPECT_EQ(r.body, "grant_type=client_credentials");
  ASSERT_EQ(r.authorization.rfind("Basic ", 0), 0u);
  EXPECT_EQ(unbase64(r.authorization.substr(6)), "gateway+one:s3cr%2Bt%25%26%3D");
}

TEST(ClientCredentialsRequest, PostCarriesTheCredentialsInTheBody) {
  auto s = settings();
  s.basic = false;
  s.scope = "tools:read tools:call";
  s.resource = "https://upstream.example/mcp";
  const TokenRequest r = tokenRequest(s);
  EXPECT_TRUE(r.authorization.empty());
  EXPECT_EQ(r.body,
            "grant_type=client_credentials&scope=tools%3Aread+tools%3Acall"
            "&resource=https%3A%2F%2Fupstream.example%2Fmcp&client_id=gateway+one&client_secret=s3cr%2Bt%25%26%3D");
}

TEST(ClientCredentialsResponse, ReadsTheTokenAndItsLifetime) {
  const auto t = parseTokenResponse(200, R"({"access_token":"abc","token_type":"bearer","expires_in":120})");
  EXPECT_EQ(t.accessToken, "abc");
  EXPECT_EQ(t.lifetime, std::chrono::seconds(120));
  EXPECT_EQ(parseTokenResponse(200, R"({"access_token":"abc","token_type":"Bearer"})").lifetime,
            std::chrono::seconds(3600));
}

TEST(ClientCredentialsResponse, RefusalsNameTheOAuthError) {
  try {
    parseTokenResponse(401, R"({"error":"invalid_client","error_description":"unknown client"})");
    FAIL() << "no exception";
  } catch (const UpstreamError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 401, invalid_client: unknown client"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parseTokenResponse(500, "<html>oops</html>"), UpstreamError);
}

TEST(ClientCredentialsResponse, HostileAnswersAreRefused) {
  for (const char* body : {"not json", "[]", R"({"token_type":"Bearer"})", R"({"access_token":"","token_type":"Bearer"})",
                           R"({"access_token":"abc"})", R"({"access_token":"abc","token_type":"mac"})",
                           R"({"access_token":"a\r\nX-Injected: 1","token_type":"Bearer"})",
                           R"({"access_token":"abc","token_type":"Bearer","expires_in":"3600"})",
                           R"({"access_token":"abc","token_type":"Bearer","expires_in":-5})",
                           R"({"access_token":7,"token_type":"Bearer"})"}) {
    EXPECT_THROW(parseTokenResponse(200, body), UpstreamError) << body;
  }
}

TEST(ClientCredentialsFetch, AnUnreachableEndpointIsAnUpstreamError) {
  ClientCredentials credentials(settings(), std::chrono::milliseconds(500), std::chrono::milliseconds(500));
  EXPECT_THROW(credentials.authorization(), UpstreamError);
}

}  // namespace
}  // namespace portcullis::mcp_upstream
