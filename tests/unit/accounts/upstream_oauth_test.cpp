// The OAuth client side of linked accounts (core/accounts/upstream_oauth.hpp)
// against a real HTTP server on 127.0.0.1: RFC 9728 and RFC 8414/OpenID
// discovery with their fallbacks, strict checks of every answer,
// registration, the authorization URL, code exchange, refresh and
// revocation, and error messages that never carry a token or a secret.

#include "core/accounts/upstream_oauth.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>

#include <Poco/Event.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "core/common/json.hpp"
#include "core/common/text.hpp"
#include "core/oauth/http.hpp"
#include "core/storage/database.hpp"

namespace portcullis::accounts {
namespace {

using namespace std::chrono_literals;
namespace json = common::json;

// ---- a local authorization server ----------------------------------------------------------

// What the server saw of one request.
struct Seen {
  std::string method;
  std::string uri;
  std::string contentType;
  std::string accept;
  std::string authorization;
  std::string body;
};

// What a route answers.
struct Canned {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool chunked = false;  // no Content-Length: the size is only known by reading
  bool stall = false;    // wait until the test ends before answering
};

using Route = std::function<Canned(const Seen&)>;

Canned answer(int status, const std::string& body) {
  Canned c;
  c.status = status;
  c.body = body;
  return c;
}
Canned ok(const std::string& body) { return answer(200, body); }

class LocalServer {
 public:
  LocalServer() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~LocalServer() {
    release_.set();
    server_->stopAll(true);
  }

  // Answers requests for `path` (the URI without its query); others get 404.
  void on(const std::string& path, Route route) {
    std::lock_guard lock(mutex_);
    routes_[path] = std::move(route);
  }
  void on(const std::string& path, const std::string& body) {
    on(path, [body](const Seen&) { return ok(body); });
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  uint16_t port() const { return port_; }

  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::vector<std::string> paths() const {
    std::vector<std::string> out;
    for (const auto& s : seen()) out.push_back(s.uri);
    return out;
  }
  Seen last() const {
    auto all = seen();
    if (all.empty()) {
      ADD_FAILURE() << "the server saw no request";
      return {};
    }
    return all.back();
  }

 private:
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    Seen s{request.getMethod(),
           request.getURI(),
           request.get("Content-Type", ""),
           request.get("Accept", ""),
           request.get("Authorization", ""),
           ""};
    s.body.assign(std::istreambuf_iterator<char>(request.stream()), {});
    Route route;
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(s);
      auto it = routes_.find(s.uri.substr(0, s.uri.find('?')));
      if (it != routes_.end()) route = it->second;
    }
    Canned canned = route ? route(s) : answer(404, R"({"error":"not_found"})");
    if (canned.stall) release_.tryWait(10'000);  // bounded: the test's end releases it
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(canned.status));
    response.setContentType("application/json");
    for (const auto& [name, value] : canned.headers) response.set(name, value);
    if (canned.chunked) {
      response.setChunkedTransferEncoding(true);
      response.send() << canned.body;
    } else {
      response.sendBuffer(canned.body.data(), canned.body.size());
    }
  }

  struct Adapter : Poco::Net::HTTPRequestHandler {
    explicit Adapter(LocalServer& s) : server(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      server.handle(request, response);
    }
    LocalServer& server;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(LocalServer& s) : server(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Adapter(server);
    }
    LocalServer& server;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Route> routes_;
  std::vector<Seen> seen_;
  Poco::Event release_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// An application/x-www-form-urlencoded body as name -> value.
std::map<std::string, std::string> formOf(const std::string& body) {
  oauth::Pairs pairs;
  EXPECT_TRUE(oauth::parseForm(body, pairs)) << body;
  return {pairs.begin(), pairs.end()};
}

std::string jsonString(const std::string& text) {
  std::string out;
  json::appendQuoted(out, text);
  return out;
}

// RFC 8414 metadata for `issuer` on `server`, with `extra` members appended.
std::string serverMetadata(const LocalServer& server, const std::string& issuer,
                           const std::string& extra = "") {
  return "{\"issuer\":" + jsonString(issuer) +
         ",\"authorization_endpoint\":" + jsonString(server.url("/authorize")) +
         ",\"token_endpoint\":" + jsonString(server.url("/token")) + extra + "}";
}

std::string resourceMetadata(const std::string& resource, const std::string& issuer,
                             const std::string& extra = "") {
  return "{\"resource\":" + jsonString(resource) + ",\"authorization_servers\":[" +
         jsonString(issuer) + "]" + extra + "}";
}

// Runs `call` and returns the UpstreamOAuthError it throws (failing the
// test when it throws nothing).
template <typename Call>
UpstreamOAuthError errorOf(Call call) {
  try {
    call();
  } catch (const UpstreamOAuthError& e) {
    return e;
  }
  ADD_FAILURE() << "no UpstreamOAuthError was thrown";
  return UpstreamOAuthError("-", "-");
}

class UpstreamOAuthTest : public ::testing::Test {
 protected:
  UpstreamOAuthTest() : client_(options()) {}

  static UpstreamOAuthOptions options() {
    UpstreamOAuthOptions o;
    o.timeout = 10s;  // generous: only the test about time sets a short one
    return o;
  }

  // Endpoints as discovery would give them for server_.
  Endpoints endpoints() const {
    Endpoints e;
    e.issuer = server_.url("");
    e.authorizationEndpoint = server_.url("/authorize");
    e.tokenEndpoint = server_.url("/token");
    e.revocationEndpoint = server_.url("/revoke");
    e.registrationEndpoint = server_.url("/register");
    return e;
  }

  // An issuer at server_'s root, with the RFC 8414 document in place.
  ProviderSettings rootIssuer(const std::string& extra = "") {
    ProviderSettings s;
    s.issuer = server_.url("");
    server_.on("/.well-known/oauth-authorization-server", serverMetadata(server_, s.issuer, extra));
    return s;
  }

  LocalServer server_;
  UpstreamOAuthClient client_;
};

// ---- discovery -------------------------------------------------------------------------------

TEST_F(UpstreamOAuthTest, DiscoversThroughPathSuffixedResourceMetadataAndInsertedIssuerPath) {
  const std::string resource = server_.url("/mcp");
  const std::string issuer = server_.url("/tenant");
  server_.on(
      "/.well-known/oauth-protected-resource/mcp",
      resourceMetadata(resource, issuer, R"(,"scopes_supported":["files.read","files.write"])"));
  server_.on("/.well-known/oauth-authorization-server/tenant",
             serverMetadata(server_, issuer,
                            ",\"registration_endpoint\":" + jsonString(server_.url("/register")) +
                                ",\"revocation_endpoint\":" + jsonString(server_.url("/revoke")) +
                                R"(,"code_challenge_methods_supported":["plain","S256"])"));
  ProviderSettings settings;
  settings.resource = resource;

  const Endpoints e = client_.discover(settings);
  EXPECT_EQ(e.issuer, issuer);
  EXPECT_EQ(e.authorizationEndpoint, server_.url("/authorize"));
  EXPECT_EQ(e.tokenEndpoint, server_.url("/token"));
  EXPECT_EQ(e.registrationEndpoint, server_.url("/register"));
  EXPECT_EQ(e.revocationEndpoint, server_.url("/revoke"));
  EXPECT_EQ(e.scopes, (std::vector<std::string>{"files.read", "files.write"}));
  EXPECT_EQ(server_.paths(),
            (std::vector<std::string>{"/.well-known/oauth-protected-resource/mcp",
                                      "/.well-known/oauth-authorization-server/tenant"}));
  EXPECT_EQ(server_.last().method, "GET");
  EXPECT_EQ(server_.last().accept, "application/json");
}

TEST_F(UpstreamOAuthTest, FallsBackToRootResourceMetadataAndOpenIdDiscovery) {
  const std::string resource = server_.url("/mcp/");
  const std::string issuer = server_.url("/realms/main");
  server_.on("/.well-known/oauth-protected-resource", resourceMetadata(resource, issuer));
  server_.on("/realms/main/.well-known/openid-configuration", serverMetadata(server_, issuer));
  ProviderSettings settings;
  settings.resource = resource;

  const Endpoints e = client_.discover(settings);
  EXPECT_EQ(e.issuer, issuer);
  EXPECT_EQ(e.tokenEndpoint, server_.url("/token"));
  EXPECT_TRUE(e.registrationEndpoint.empty());
  EXPECT_TRUE(e.revocationEndpoint.empty());
  EXPECT_TRUE(e.scopes.empty());
  EXPECT_EQ(server_.paths(),
            (std::vector<std::string>{"/.well-known/oauth-protected-resource/mcp",
                                      "/.well-known/oauth-protected-resource",
                                      "/.well-known/oauth-authorization-server/realms/main",
                                      "/realms/main/.well-known/openid-configuration"}));
}

TEST_F(UpstreamOAuthTest, AResourceAtTheRootAsksOnlyTheRootDocument) {
  const std::string resource = server_.url("");
  const std::string issuer = server_.url("");
  server_.on("/.well-known/oauth-protected-resource", resourceMetadata(resource, issuer));
  server_.on("/.well-known/oauth-authorization-server", serverMetadata(server_, issuer));
  ProviderSettings settings;
  settings.resource = resource;
  EXPECT_EQ(client_.discover(settings).issuer, issuer);
  EXPECT_EQ(server_.paths(), (std::vector<std::string>{"/.well-known/oauth-protected-resource",
                                                       "/.well-known/oauth-authorization-server"}));
}

TEST_F(UpstreamOAuthTest, ConfiguredScopesAndRevocationEndpointWin) {
  const std::string resource = server_.url("/mcp");
  server_.on("/.well-known/oauth-protected-resource/mcp",
             resourceMetadata(resource, server_.url(""), R"(,"scopes_supported":["everything"])"));
  rootIssuer(",\"revocation_endpoint\":" + jsonString(server_.url("/discovered-revoke")));
  ProviderSettings settings;
  settings.resource = resource;
  settings.scopes = {"read", "write"};
  settings.revocationEndpoint = server_.url("/configured-revoke");

  const Endpoints e = client_.discover(settings);
  EXPECT_EQ(e.scopes, settings.scopes);
  EXPECT_EQ(e.revocationEndpoint, server_.url("/configured-revoke"));
}

TEST_F(UpstreamOAuthTest, AConfiguredIssuerSkipsResourceMetadata) {
  ProviderSettings settings = rootIssuer();
  settings.resource = server_.url("/mcp");
  const Endpoints e = client_.discover(settings);
  EXPECT_EQ(e.issuer, settings.issuer);
  EXPECT_EQ(server_.paths(), (std::vector<std::string>{"/.well-known/oauth-authorization-server"}));
}

TEST_F(UpstreamOAuthTest, ConfiguredEndpointsMakeNoRequest) {
  ProviderSettings settings;
  settings.resource = server_.url("/mcp");
  settings.issuer = server_.url("");
  settings.authorizationEndpoint = server_.url("/a");
  settings.tokenEndpoint = server_.url("/t");
  settings.revocationEndpoint = server_.url("/r");
  settings.scopes = {"openid"};

  const Endpoints e = client_.discover(settings);
  EXPECT_EQ(e.issuer, settings.issuer);
  EXPECT_EQ(e.authorizationEndpoint, settings.authorizationEndpoint);
  EXPECT_EQ(e.tokenEndpoint, settings.tokenEndpoint);
  EXPECT_EQ(e.revocationEndpoint, settings.revocationEndpoint);
  EXPECT_TRUE(e.registrationEndpoint.empty());
  EXPECT_EQ(e.scopes, settings.scopes);
  EXPECT_TRUE(server_.seen().empty());
}

TEST_F(UpstreamOAuthTest, RefusesMetadataThatDoesNotFit) {
  struct Case {
    const char* what;
    std::string extra;      // appended to valid RFC 8414 metadata
    std::string issuer;     // the document's issuer, when not the right one
    const char* complaint;  // part of the message
  };
  const std::vector<Case> cases = {
      {"issuer mismatch", "", server_.url("/other"), "issuer"},
      {"issuer with a trailing slash", "", server_.url("/"), "issuer"},
      {"no S256", R"(,"code_challenge_methods_supported":["plain"])", "", "S256"},
      {"methods not an array", R"(,"code_challenge_methods_supported":"S256")", "", "not an array"},
      {"registration not a URL", R"J(,"registration_endpoint":"javascript:alert(1)")J", "",
       "registration_endpoint"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ProviderSettings settings;
    settings.issuer = server_.url("");
    server_.on("/.well-known/oauth-authorization-server",
               serverMetadata(server_, c.issuer.empty() ? settings.issuer : c.issuer, c.extra));
    const auto e = errorOf([&] { client_.discover(settings); });
    EXPECT_EQ(e.code(), "");
    EXPECT_NE(std::string(e.what()).find(c.complaint), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(server_.url("/.well-known/oauth-authorization-server")),
              std::string::npos)
        << e.what();
  }
}

TEST_F(UpstreamOAuthTest, RefusesMetadataWithoutTokenEndpoint) {
  ProviderSettings settings;
  settings.issuer = server_.url("");
  server_.on("/.well-known/oauth-authorization-server",
             "{\"issuer\":" + jsonString(settings.issuer) +
                 ",\"authorization_endpoint\":" + jsonString(server_.url("/authorize")) + "}");
  const auto e = errorOf([&] { client_.discover(settings); });
  EXPECT_NE(std::string(e.what()).find("token_endpoint"), std::string::npos) << e.what();
}

TEST_F(UpstreamOAuthTest, RefusesResourceMetadataAboutAnotherResource) {
  ProviderSettings settings;
  settings.resource = server_.url("/mcp");
  server_.on("/.well-known/oauth-protected-resource/mcp",
             resourceMetadata(server_.url("/other"), server_.url("")));
  rootIssuer();
  const auto e = errorOf([&] { client_.discover(settings); });
  EXPECT_NE(std::string(e.what()).find("not \"" + settings.resource + "\""), std::string::npos)
      << e.what();
  EXPECT_EQ(server_.seen().size(), 1u);  // and the authorization server was never asked
}

TEST_F(UpstreamOAuthTest, RefusesResourceMetadataWithoutAuthorizationServer) {
  ProviderSettings settings;
  settings.resource = server_.url("/mcp");
  server_.on("/.well-known/oauth-protected-resource/mcp",
             "{\"resource\":" + jsonString(settings.resource) + ",\"authorization_servers\":[]}");
  const auto e = errorOf([&] { client_.discover(settings); });
  EXPECT_NE(std::string(e.what()).find("no authorization server"), std::string::npos) << e.what();
}

TEST_F(UpstreamOAuthTest, RefusesAnswersThatAreNotTheRightJson) {
  ProviderSettings settings;
  settings.resource = server_.url("/mcp");
  const std::string issuer = jsonString(server_.url(""));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not a JSON object"},
      {"[1,2,3]", "not a JSON object"},
      {"", "not a JSON object"},
      {R"({"authorization_servers":"x"})", "not an array"},
      {R"({"authorization_servers":[7]})", "other than strings"},
      {R"({"resource":7,"authorization_servers":[)" + issuer + "]}", "not a string"},
      {R"({"authorization_servers":["http://127.0.0.1/\u0000x"]})", "NUL"},
      {R"({"authorization_servers":["ftp://127.0.0.1/"]})", "not an http or https URL"},
      {R"({"authorization_servers":[)" + issuer + R"(],"scopes_supported":["a b"]})", "scope"},
  };
  for (const auto& [body, complaint] : cases) {
    SCOPED_TRACE(body);
    server_.on("/.well-known/oauth-protected-resource/mcp", body);
    rootIssuer();
    const auto e = errorOf([&] { client_.discover(settings); });
    EXPECT_EQ(e.code(), "");
    EXPECT_NE(std::string(e.what()).find(complaint), std::string::npos) << e.what();
  }
}

TEST_F(UpstreamOAuthTest, DoesNotFollowRedirects) {
  ProviderSettings settings;
  settings.issuer = server_.url("");
  server_.on("/.well-known/oauth-authorization-server", [&](const Seen&) {
    Canned c = answer(302, "");
    c.headers.emplace_back("Location", server_.url("/elsewhere"));
    return c;
  });
  server_.on("/elsewhere", serverMetadata(server_, settings.issuer));
  const auto e = errorOf([&] { client_.discover(settings); });
  EXPECT_NE(std::string(e.what()).find("redirect (302)"), std::string::npos) << e.what();
  EXPECT_EQ(server_.paths(), (std::vector<std::string>{"/.well-known/oauth-authorization-server"}));
}

TEST_F(UpstreamOAuthTest, RefusesAnswersLargerThanTheCap) {
  UpstreamOAuthOptions small = options();
  small.maxBytes = 1024;
  UpstreamOAuthClient client(small);
  ProviderSettings settings;
  settings.issuer = server_.url("");
  const std::string large =
      serverMetadata(server_, settings.issuer, ",\"padding\":\"" + std::string(4096, 'x') + "\"");
  for (bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "with Content-Length");
    server_.on("/.well-known/oauth-authorization-server", [&](const Seen&) {
      Canned c = ok(large);
      c.chunked = chunked;
      return c;
    });
    const auto e = errorOf([&] { client.discover(settings); });
    EXPECT_NE(std::string(e.what()).find("larger than the size limit"), std::string::npos)
        << e.what();
  }
  // The same document within the cap is fine.
  rootIssuer();
  EXPECT_EQ(client.discover(settings).tokenEndpoint, server_.url("/token"));
}

TEST_F(UpstreamOAuthTest, RefusesUrlsThatAreNotHttp) {
  for (const char* url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "http://user@127.0.0.1/",
                          "http://127.0.0.1:99999/", "127.0.0.1/mcp", "http://127.0.0.1/a b"}) {
    SCOPED_TRACE(url);
    ProviderSettings settings;
    settings.resource = url;
    const auto e = errorOf([&] { client_.discover(settings); });
    EXPECT_EQ(e.code(), "");
    EXPECT_NE(std::string(e.what()).find("not an http or https URL"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(client_.discover({}), UpstreamOAuthError);
}

TEST_F(UpstreamOAuthTest, TransportFailuresAreUpstreamOAuthErrors) {
  ProviderSettings settings;
  // TLS to a server that speaks plain HTTP.
  settings.issuer = "https://127.0.0.1:" + std::to_string(server_.port());
  EXPECT_NE(
      std::string(errorOf([&] { client_.discover(settings); }).what()).find("could not reach"),
      std::string::npos);
  // An extra CA file that is not there.
  UpstreamOAuthOptions missingCa = options();
  missingCa.caFile = "/nonexistent/ca.pem";
  EXPECT_THROW(UpstreamOAuthClient(missingCa).discover(settings), UpstreamOAuthError);
  // Nobody listening (a port just freed).
  uint16_t freed = 0;
  {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    freed = socket.address().port();
  }
  settings.issuer = "http://127.0.0.1:" + std::to_string(freed);
  EXPECT_THROW(client_.discover(settings), UpstreamOAuthError);
}

TEST_F(UpstreamOAuthTest, ASilentServerFailsWithinTheTimeout) {
  UpstreamOAuthOptions quick = options();
  quick.timeout = 200ms;
  ProviderSettings settings;
  settings.issuer = server_.url("");
  server_.on("/.well-known/oauth-authorization-server", [&](const Seen&) {
    Canned c = ok(serverMetadata(server_, settings.issuer));
    c.stall = true;
    return c;
  });
  EXPECT_THROW(UpstreamOAuthClient(quick).discover(settings), UpstreamOAuthError);
}

// ---- registration ----------------------------------------------------------------------------

TEST_F(UpstreamOAuthTest, RegistersAPublicClient) {
  server_.on("/register", [](const Seen&) {
    return answer(201, R"({"client_id":"abc123","client_secret":"shh","client_id_issued_at":1})");
  });
  const ClientRegistration r =
      client_.registerClient(endpoints(), "https://gw.example/cb", "Portcullis");
  EXPECT_EQ(r.clientId, "abc123");
  EXPECT_EQ(r.clientSecret, "shh");

  const Seen request = server_.last();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.contentType, "application/json");
  const json::ObjectPtr sent = json::parseObject(request.body);
  EXPECT_EQ(json::getString(sent, "client_name"), "Portcullis");
  EXPECT_EQ(json::getString(sent, "token_endpoint_auth_method"), "none");
  EXPECT_EQ(json::stringify(json::getArray(sent, "redirect_uris")), R"(["https://gw.example/cb"])");
  EXPECT_EQ(json::stringify(json::getArray(sent, "grant_types")),
            R"(["authorization_code","refresh_token"])");
  EXPECT_EQ(json::stringify(json::getArray(sent, "response_types")), R"(["code"])");

  server_.on("/register", R"({"client_id":"pub"})");
  const ClientRegistration plain =
      client_.registerClient(endpoints(), "https://gw.example/cb", "Portcullis");
  EXPECT_EQ(plain.clientId, "pub");
  EXPECT_TRUE(plain.clientSecret.empty());
}

TEST_F(UpstreamOAuthTest, RefusesRegistrationsThatFail) {
  server_.on("/register", R"({"client_secret":"shh"})");
  EXPECT_NE(std::string(
                errorOf([&] { client_.registerClient(endpoints(), "https://gw/cb", "P"); }).what())
                .find("client_id"),
            std::string::npos);

  server_.on("/register", [](const Seen&) {
    return answer(400, R"({"error":"invalid_redirect_uri","error_description":"not https"})");
  });
  const auto refused = errorOf([&] { client_.registerClient(endpoints(), "http://gw/cb", "P"); });
  EXPECT_EQ(refused.code(), "invalid_redirect_uri");
  EXPECT_STREQ(refused.what(),
               "the registration endpoint refused: invalid_redirect_uri: not https");

  Endpoints none = endpoints();
  none.registrationEndpoint.clear();
  const auto e = errorOf([&] { client_.registerClient(none, "https://gw/cb", "P"); });
  EXPECT_NE(std::string(e.what()).find("offers no dynamic registration: set client_id"),
            std::string::npos);
}

// ---- the authorization URL -------------------------------------------------------------------

TEST(UpstreamOAuthUrl, CarriesEveryParameterEncoded) {
  Endpoints e;
  e.authorizationEndpoint = "https://as.example/authorize";
  e.scopes = {"files.read", "offline_access"};
  ClientRegistration client{"my client", ""};
  EXPECT_EQ(UpstreamOAuthClient::authorizationUrl(e, client, "https://gw.example/cb?x=1", "st&te",
                                                  "ch+al/lenge", "https://api.example/mcp"),
            "https://as.example/authorize?response_type=code&client_id=my%20client"
            "&redirect_uri=https%3A%2F%2Fgw.example%2Fcb%3Fx%3D1&state=st%26te"
            "&code_challenge=ch%2Bal%2Flenge&code_challenge_method=S256"
            "&resource=https%3A%2F%2Fapi.example%2Fmcp&scope=files.read%20offline_access");
}

TEST(UpstreamOAuthUrl, KeepsAQueryTheEndpointAlreadyHas) {
  Endpoints e;
  e.authorizationEndpoint = "https://as.example/authorize?tenant=t1";
  const std::string url =
      UpstreamOAuthClient::authorizationUrl(e, {"id", ""}, "https://gw/cb", "s", "c", "");
  EXPECT_EQ(url,
            "https://as.example/"
            "authorize?tenant=t1&response_type=code&client_id=id&redirect_uri=https%3A%2F%2Fgw%2Fcb"
            "&state=s&code_challenge=c&code_challenge_method=S256");
  e.authorizationEndpoint = "https://as.example/authorize?";
  EXPECT_TRUE(
      common::startsWith(UpstreamOAuthClient::authorizationUrl(e, {"id", ""}, "r", "s", "c", ""),
                         "https://as.example/authorize?response_type=code&"));
}

// ---- tokens ----------------------------------------------------------------------------------

TEST_F(UpstreamOAuthTest, ExchangesACodeAsAPublicClient) {
  server_.on("/token", R"({"access_token":"at-1","token_type":"bearer","expires_in":3600,)"
                       R"("refresh_token":"rt-1","scope":"files.read"})");
  const int64_t before = storage::nowMillis();
  const TokenSet tokens =
      client_.exchangeCode(endpoints(), {"pub client", ""}, "the code", "https://gw/cb", "verifier",
                           "https://api.example/mcp");
  const int64_t after = storage::nowMillis();
  EXPECT_EQ(tokens.accessToken, "at-1");
  EXPECT_EQ(tokens.tokenType, "Bearer");
  EXPECT_EQ(tokens.refreshToken, "rt-1");
  EXPECT_EQ(tokens.scope, "files.read");
  EXPECT_GE(tokens.expiresAt, before + 3'600'000);
  EXPECT_LE(tokens.expiresAt, after + 3'600'000);

  const Seen request = server_.last();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.contentType, "application/x-www-form-urlencoded");
  EXPECT_EQ(request.accept, "application/json");
  EXPECT_EQ(request.authorization, "");
  EXPECT_EQ(formOf(request.body),
            (std::map<std::string, std::string>{{"grant_type", "authorization_code"},
                                                {"code", "the code"},
                                                {"redirect_uri", "https://gw/cb"},
                                                {"code_verifier", "verifier"},
                                                {"resource", "https://api.example/mcp"},
                                                {"client_id", "pub client"}}));
}

TEST_F(UpstreamOAuthTest, AuthenticatesAConfidentialClientWithBasic) {
  server_.on("/token", R"({"access_token":"at-2","token_type":"Bearer"})");
  const TokenSet tokens =
      client_.exchangeCode(endpoints(), {"my id", "s3cr:et/+"}, "code", "https://gw/cb", "v", "");
  EXPECT_EQ(tokens.expiresAt, 0);
  EXPECT_TRUE(tokens.refreshToken.empty());
  const Seen request = server_.last();
  EXPECT_EQ(request.authorization, "Basic " + common::base64Encode("my%20id:s3cr%3Aet%2F%2B"));
  const auto form = formOf(request.body);
  EXPECT_EQ(form.count("client_id"), 0u);
  EXPECT_EQ(form.count("resource"), 0u);
}

TEST_F(UpstreamOAuthTest, ARefreshWithoutANewRefreshTokenKeepsTheOldOne) {
  server_.on("/token", R"({"access_token":"at-3","token_type":"Bearer","expires_in":60})");
  const TokenSet kept =
      client_.refresh(endpoints(), {"id", ""}, "rt-old", "https://api.example/mcp");
  EXPECT_EQ(kept.accessToken, "at-3");
  EXPECT_EQ(kept.refreshToken, "rt-old");
  EXPECT_EQ(formOf(server_.last().body),
            (std::map<std::string, std::string>{{"grant_type", "refresh_token"},
                                                {"refresh_token", "rt-old"},
                                                {"resource", "https://api.example/mcp"},
                                                {"client_id", "id"}}));

  server_.on("/token", R"({"access_token":"at-4","token_type":"Bearer","refresh_token":"rt-new"})");
  EXPECT_EQ(client_.refresh(endpoints(), {"id", ""}, "rt-old", "").refreshToken, "rt-new");
}

TEST_F(UpstreamOAuthTest, InvalidGrantSurfacesAsItsCode) {
  server_.on("/token", [](const Seen&) {
    return answer(400,
                  R"({"error":"invalid_grant","error_description":"the refresh token expired"})");
  });
  const auto e = errorOf([&] { client_.refresh(endpoints(), {"id", ""}, "rt", ""); });
  EXPECT_EQ(e.code(), "invalid_grant");
  EXPECT_STREQ(e.what(), "the token endpoint refused: invalid_grant: the refresh token expired");

  server_.on("/token", [](const Seen&) { return answer(401, R"({"error":"invalid_client"})"); });
  EXPECT_EQ(errorOf([&] {
              client_.refresh(endpoints(), {"id", "secret"}, "rt", "");
            }).code(),
            "invalid_client");

  server_.on("/token", [](const Seen&) { return answer(503, "busy"); });
  const auto unavailable = errorOf([&] { client_.refresh(endpoints(), {"id", ""}, "rt", ""); });
  EXPECT_EQ(unavailable.code(), "");
  EXPECT_NE(std::string(unavailable.what()).find("503"), std::string::npos);

  server_.on("/token", [](const Seen&) { return answer(400, "<html>bad</html>"); });
  EXPECT_EQ(errorOf([&] { client_.refresh(endpoints(), {"id", ""}, "rt", ""); }).code(), "");
}

TEST_F(UpstreamOAuthTest, RefusesTokenAnswersThatDoNotFit) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"access_token":"at","token_type":"mac"})", "not Bearer"},
      {R"({"token_type":"Bearer"})", "access_token"},
      {R"({"access_token":"","token_type":"Bearer"})", "access_token"},
      {R"({"access_token":"at"})", "token_type"},
      {R"({"access_token":"at","token_type":"Bearer","expires_in":-5})", "negative"},
      {R"({"access_token":"at","token_type":"Bearer","expires_in":"3600"})", "not an integer"},
      {R"({"access_token":"at","token_type":"Bearer","expires_in":1.5})", "not an integer"},
      {R"({"access_token":"a\r\nb","token_type":"Bearer"})", "header"},
      {R"({"access_token":["at"],"token_type":"Bearer"})", "not a string"},
      {R"([{"access_token":"at","token_type":"Bearer"}])", "not a JSON object"},
  };
  for (const auto& [body, complaint] : cases) {
    SCOPED_TRACE(body);
    server_.on("/token", body);
    const auto e = errorOf([&] {
      client_.exchangeCode(endpoints(), {"id", ""}, "c", "https://gw/cb", "v", "");
    });
    EXPECT_EQ(e.code(), "");
    EXPECT_NE(std::string(e.what()).find(complaint), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(server_.url("/token")), std::string::npos) << e.what();
  }
}

TEST_F(UpstreamOAuthTest, ErrorMessagesNeverCarryTokensOrSecrets) {
  const std::string secret = "client-secret-value";
  const std::string refreshToken = "refresh-token-value";
  const std::string code = "authorization-code-value";
  const std::string verifier = "code-verifier-value";
  // A server that echoes all it was sent (form values and the Basic
  // credentials) back, in each place a message could quote it from.
  const auto echo = [](const Seen& request) {
    std::string all;
    for (const auto& [name, value] : formOf(request.body)) all += value + " ";
    if (common::startsWith(request.authorization, "Basic ")) {
      all += common::base64Decode(request.authorization.substr(6)).value_or("");
    }
    return all;
  };
  const std::vector<Route> answers = {
      [&](const Seen& r) {
        return answer(
            400, "{\"error\":\"invalid_grant\",\"error_description\":" + jsonString(echo(r)) + "}");
      },
      [&](const Seen& r) { return answer(500, echo(r)); },
      [&](const Seen& r) {
        return ok("{\"access_token\":\"at\",\"token_type\":" + jsonString(echo(r)) + "}");
      },
      [&](const Seen& r) { return ok(echo(r)); },
  };
  for (size_t i = 0; i < answers.size(); ++i) {
    SCOPED_TRACE(i);
    server_.on("/token", answers[i]);
    server_.on("/revoke", answers[i]);
    std::vector<std::string> messages = {
        errorOf([&] {
          client_.refresh(endpoints(), {"id", secret}, refreshToken, "");
        }).what(),
        errorOf([&] {
          client_.exchangeCode(endpoints(), {"id", secret}, code, "https://gw/cb", verifier, "");
        }).what(),
    };
    if (i < 2) {  // the others are a success to revocation
      messages.push_back(errorOf([&] {
                           client_.revoke(endpoints(), {"id", secret}, refreshToken);
                         }).what());
    }
    for (const auto& message : messages) {
      for (const auto& hidden : {secret, refreshToken, code, verifier}) {
        EXPECT_EQ(message.find(hidden), std::string::npos) << message;
      }
    }
  }
}

// ---- revocation ------------------------------------------------------------------------------

TEST_F(UpstreamOAuthTest, RevokesWithTheSameClientAuthentication) {
  server_.on("/revoke", "");
  client_.revoke(endpoints(), {"id", "secret"}, "rt-9");
  const Seen request = server_.last();
  EXPECT_EQ(request.uri, "/revoke");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.contentType, "application/x-www-form-urlencoded");
  EXPECT_EQ(request.authorization, "Basic " + common::base64Encode("id:secret"));
  EXPECT_EQ(formOf(request.body), (std::map<std::string, std::string>{
                                      {"token", "rt-9"}, {"token_type_hint", "refresh_token"}}));

  client_.revoke(endpoints(), {"pub", ""}, "rt-9");
  EXPECT_EQ(formOf(server_.last().body).at("client_id"), "pub");

  server_.on("/revoke",
             [](const Seen&) { return answer(400, R"({"error":"unsupported_token_type"})"); });
  EXPECT_EQ(errorOf([&] {
              client_.revoke(endpoints(), {"pub", ""}, "rt-9");
            }).code(),
            "unsupported_token_type");
  server_.on("/revoke", [](const Seen&) { return answer(503, ""); });
  EXPECT_THROW(client_.revoke(endpoints(), {"pub", ""}, "rt-9"), UpstreamOAuthError);
}

TEST_F(UpstreamOAuthTest, RevokeWithoutAnEndpointDoesNothing) {
  Endpoints e = endpoints();
  e.revocationEndpoint.clear();
  client_.revoke(e, {"id", ""}, "rt");
  EXPECT_TRUE(server_.seen().empty());
}

}  // namespace
}  // namespace portcullis::accounts
