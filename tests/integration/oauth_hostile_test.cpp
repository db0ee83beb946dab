// Hostile input on every OAuth endpoint over real HTTP: huge bodies (plain
// and chunked), bad percent-encoding, duplicate parameters, wrong content
// types, non-UTF-8 and NUL bytes, odd methods. Every request gets a clear
// error (a 4xx with an OAuth error object or an error page), nothing
// crashes, and the server keeps serving.

#include <gtest/gtest.h>

#include "tests/integration/oauth_support.hpp"

namespace portcullis::testing::oauth_it {
namespace {

const std::vector<std::string> kEndpoints{"/oauth/authorize",
                                          "/oauth/login",
                                          "/oauth/login/link",
                                          "/oauth/consent",
                                          "/oauth/token",
                                          "/oauth/revoke",
                                          "/oauth/introspect",
                                          "/oauth/register",
                                          "/oauth/register/pc_x",
                                          "/oauth/jwks",
                                          "/setup",
                                          "/.well-known/oauth-protected-resource",
                                          "/.well-known/oauth-protected-resource/mcp",
                                          "/.well-known/oauth-authorization-server",
                                          "/.well-known/openid-configuration"};

class OAuthHostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    AuthOptions options;
    options.server = "max_body_bytes: 65536";
    gateway_ = TestGateway::withAuth(options).release();
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }
  uint16_t port() const { return gateway_->port(); }

  // A clear error: 4xx, and either a JSON object with "error" or an HTML page.
  static void expectClearError(const HttpResult& r, const std::string& what) {
    EXPECT_GE(r.status, 400) << what << ": " << r.body.substr(0, 200);
    EXPECT_LT(r.status, 500) << what << ": " << r.body.substr(0, 200);
    const std::string type = common::toLower(r.header("Content-Type").value_or(""));
    if (common::startsWith(type, "application/json")) {
      json::ObjectPtr o;
      try {
        o = json::parseObject(r.body);
      } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": not JSON: " << r.body.substr(0, 200);
        return;
      }
      EXPECT_TRUE(json::getString(o, "error").has_value() || o->has("error"))
          << what << ": " << r.body;
    } else if (common::startsWith(type, "text/html")) {
      EXPECT_NE(r.body.find("<h1>"), std::string::npos) << what;
    } else if (r.status != 405 && r.status != 413 && r.status != 404) {
      ADD_FAILURE() << what << ": " << r.status << " with content type \"" << type << "\"";
    }
  }
  void expectAlive() {
    EXPECT_EQ(request(port(), "GET", "/healthz").status, 200);
    EXPECT_EQ(request(port(), "GET", "/.well-known/oauth-authorization-server").status, 200);
  }

  static TestGateway* gateway_;
};
TestGateway* OAuthHostile::gateway_ = nullptr;

TEST_F(OAuthHostile, BadPercentEncodingInTheQuery) {
  for (const auto& path : kEndpoints) {
    for (const std::string& query : std::vector<std::string>{"?client_id=%", "?client_id=%zz",
                                                             "?a=%4", "?%=%", "?client_id=a%00b"}) {
      expectClearError(request(port(), "GET", path + query), path + query);
    }
  }
  expectAlive();
}

TEST_F(OAuthHostile, BadBodiesOfEveryKind) {
  const std::vector<std::pair<std::string, std::string>> bodies{
      {"bad percent", "grant_type=%zz&client_id=%"},
      {"truncated percent", "token=abc%2"},
      {"duplicates",
       "grant_type=authorization_code&grant_type=refresh_token&client_id=a&client_id=b&token=x&"
       "token=y"},
      {"nul", std::string("client_id=a\0b&token=\0", 21)},
      {"encoded nul", "client_id=a%00b&token=%00"},
      {"non-utf8", "client_id=\xff\xfe&token=\xc3\x28&username=\xed\xa0\x80"},
      {"json", R"J({"grant_type":"client_credentials","client_id":"x"})J"},
      {"nested json", std::string(5000, '[') + std::string(5000, ']')},
      {"only separators", "&&&&====&&&&"},
      {"long value", "client_id=" + std::string(60'000, 'a')},
  };
  for (const auto& path : kEndpoints) {
    for (const auto& [what, body] : bodies) {
      for (const std::string& type :
           std::vector<std::string>{"application/x-www-form-urlencoded", "application/json",
                                    "text/plain", "multipart/form-data; boundary=x", ""}) {
        Headers h;
        if (!type.empty()) h.emplace_back("Content-Type", type);
        for (const std::string& method : std::vector<std::string>{"POST", "PUT"}) {
          const HttpResult r = request(port(), method, path, h, body);
          const std::string label = method + " " + path + " [" + what + ", " + type + "]";
          if (r.status < 400) {
            // Only what accepts anything may say yes: revocation answers 200.
            EXPECT_TRUE(path == "/oauth/revoke" && r.status == 200) << label << " -> " << r.status;
          } else {
            expectClearError(r, label);
          }
        }
      }
    }
  }
  expectAlive();
}

TEST_F(OAuthHostile, HugeBodiesAreRefusedWithoutBeingRead) {
  for (const auto& path : std::vector<std::string>{"/oauth/token", "/oauth/register",
                                                   "/oauth/login", "/oauth/revoke"}) {
    // Declared size over the limit.
    const std::string raw =
        "POST " + path +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 10000000\r\n\r\n" +
        std::string(70'000, 'a');
    const std::string answer = rawExchange(port(), raw, std::chrono::seconds(20));
    EXPECT_NE(answer.find(" 413 "), std::string::npos) << path << ": " << answer.substr(0, 200);
    // Chunked, growing past the limit.
    std::string chunked =
        "POST " + path +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) chunked += "2000\r\n" + std::string(0x2000, 'b') + "\r\n";
    chunked += "0\r\n\r\n";
    const std::string chunkedAnswer = rawExchange(port(), chunked, std::chrono::seconds(20));
    EXPECT_NE(chunkedAnswer.find(" 413 "), std::string::npos)
        << path << ": " << chunkedAnswer.substr(0, 200);
  }
  expectAlive();
}

TEST_F(OAuthHostile, RegistrationBodiesOverTheRegistrationLimit) {
  // Under the server's body limit but over auth.max_registration_bytes.
  const std::string body = R"J({"redirect_uris":["https://app.example/cb"],"client_name":")J" +
                           std::string(40'000, 'n') + "\"}";
  const HttpResult r =
      request(port(), "POST", "/oauth/register", {{"Content-Type", "application/json"}}, body);
  expectClearError(r, "big registration");
  EXPECT_EQ(json::getString(object(r.body), "error"), std::string("invalid_client_metadata"));
}

TEST_F(OAuthHostile, HostileHeaders) {
  const std::vector<Headers> headerSets{
      {{"Authorization", "Basic " + std::string(6000, '=')}},
      {{"Authorization", "Basic " + common::base64Encode(std::string("a\0b:c", 5))}},
      {{"Authorization", "Bearer " + std::string(7000, 'x')}},
      {{"Cookie", "pc_session=" + std::string(4000, 'c') + "; __Host-pc_session=x; pc_session=y"}},
      {{"Cookie", ";;;=;="}},
      {{"Origin", std::string(3000, 'o')}},
      {{"Accept", "application/json, text/html"}},
  };
  for (const auto& path : kEndpoints) {
    for (const auto& headers : headerSets) {
      Headers h = headers;
      h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      const HttpResult r =
          request(port(), "POST", path, h, "client_id=x&token=y&grant_type=client_credentials");
      if (r.status >= 400) expectClearError(r, path);
    }
  }
  expectAlive();
}

TEST_F(OAuthHostile, OddMethods) {
  for (const auto& path : kEndpoints) {
    for (const std::string& method :
         std::vector<std::string>{"PATCH", "DELETE", "TRACE", "PUT", "HEAD"}) {
      const HttpResult r = request(port(), method, path);
      if (method == "HEAD" && r.status < 400) continue;  // metadata and pages answer HEAD
      if (path == "/oauth/register/pc_x" && (method == "DELETE" || method == "PUT")) {
        EXPECT_GE(r.status, 400);  // no token: refused
        continue;
      }
      EXPECT_GE(r.status, 400) << method << " " << path;
      EXPECT_LT(r.status, 500) << method << " " << path;
    }
  }
  expectAlive();
}

}  // namespace
}  // namespace portcullis::testing::oauth_it
