// OAuth clients (core/oauth/client_registry.hpp): which redirect URIs may be
// registered and how they are matched, dynamic registration (RFC 7591) and
// its management (RFC 7592), configured clients, and what revoking a client
// ends.

#include "core/oauth/client_registry.hpp"

#include <gtest/gtest.h>

#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;
using storage::Value;
using testing::object;
using testing::TempDir;

// ---- redirect URI rules ------------------------------------------------------------

TEST(RedirectUriRules, Refused) {
  const std::vector<std::string> refused{
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "blob:https://app.example/x",
      "about:blank",
      "ws://127.0.0.1/cb",
      "https://app.example/cb#fragment",
      "https://app.example/cb#",
      "http://app.example/cb",
      "http://10.0.0.1/cb",
      "http://127.0.0.1.evil.example/cb",
      "http://localhost.evil.example/cb",
      "http://127.0.0.1@evil.example/cb",
      "http://localhost:80@evil.example/cb",
      "http://evil.example@127.0.0.1/cb",
      "HTTP://127.0.0.1/cb",
      "http://127.0.0.1:99999999/cb",
      "https://user:pass@app.example/cb",
      "https://app.example\\@evil.example/cb",
      "https:///cb",
      "https://",
      "https:app.example/cb",
      "/relative/cb",
      "cb",
      ":nothing",
      "",
      "https://app.example/c b",
      "https://app.example/cb\n",
      "https://app.example/\"cb\"",
      "https://app.example/<cb>",
      std::string("https://app.example/\0cb", 23),
      "https://app.example/" + std::string(2100, 'a'),
  };
  for (const auto& uri : refused) {
    EXPECT_FALSE(ClientRegistry::redirectUriProblem(uri).empty())
        << "accepted: " << uri.substr(0, 80);
  }
}

TEST(RedirectUriRules, Accepted) {
  const std::vector<std::string> accepted{
      "https://app.example/cb",
      "https://app.example:8443/oauth/callback?tenant=1",
      "http://127.0.0.1/cb",
      "http://127.0.0.1:8765/cb",
      "http://127.0.0.1",
      "http://localhost:3000/callback",
      "http://[::1]:9000/cb",
      "com.example.app:/oauth2redirect",
      "cursor://anysphere.cursor-retrieval/oauth/callback",
  };
  for (const auto& uri : accepted) {
    EXPECT_EQ(ClientRegistry::redirectUriProblem(uri), "") << uri;
  }
}

TEST(RedirectUriMatching, ExactExceptTheLoopbackPort) {
  // Loopback http: any port (RFC 8252 7.3), everything else exact.
  EXPECT_TRUE(ClientRegistry::redirectMatches("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"));
  EXPECT_TRUE(
      ClientRegistry::redirectMatches("http://127.0.0.1:1000/cb", "http://127.0.0.1:2000/cb"));
  EXPECT_TRUE(ClientRegistry::redirectMatches("http://localhost:3000/cb", "http://localhost/cb"));
  EXPECT_TRUE(ClientRegistry::redirectMatches("http://[::1]/cb", "http://[::1]:7/cb"));
  EXPECT_TRUE(ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/cb"));

  EXPECT_FALSE(ClientRegistry::redirectMatches("http://127.0.0.1/cb", "http://localhost/cb"));
  EXPECT_FALSE(ClientRegistry::redirectMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/cb/"));
  EXPECT_FALSE(ClientRegistry::redirectMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/CB"));
  EXPECT_FALSE(ClientRegistry::redirectMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/cb?x=1"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("http://127.0.0.1/cb", "http://127.0.0.1:5@evil.example/cb"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/cb/"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/cb?x=1"));
  EXPECT_FALSE(ClientRegistry::redirectMatches("https://app.example/cb", "https://APP.example/cb"));
  EXPECT_FALSE(ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/CB"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example:443/cb"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/cb#x"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/%63b"));
  EXPECT_FALSE(
      ClientRegistry::redirectMatches("https://app.example/cb", "https://app.example/cb "));
  EXPECT_FALSE(ClientRegistry::redirectMatches("com.example.app:/cb", "com.example.app:/cb2"));
}

// ---- registration -------------------------------------------------------------------------

class ClientRegistryTest : public ::testing::Test {
 protected:
  ClientRegistryTest()
      : db_(storage::StorageOptions{dir_.file("clients.db")}),
        registry_(db_, configured(), FetcherOptions{}, false) {}

  static std::vector<config::ConfiguredClient> configured() {
    config::ConfiguredClient system;
    system.clientId = "ops-console";
    system.name = "Ops console";
    system.redirectUris = {"https://ops.example/cb"};
    system.grantTypes = {"authorization_code", "refresh_token"};
    system.systemManaged = true;
    config::ConfiguredClient plain;
    plain.clientId = "team-app";
    plain.redirectUris = {"https://team.example/cb"};
    plain.grantTypes = {"authorization_code", "refresh_token"};
    plain.secret = "a configured secret value";
    return {system, plain};
  }

  RegistrationResponse reg(const std::string& metadata) {
    return registry_.registerClient(object(metadata), "https://as.example/oauth/register");
  }
  std::string registered(const std::string& metadata, std::string* token = nullptr,
                         std::string* secret = nullptr) {
    const auto r = reg(metadata);
    EXPECT_EQ(r.status, 201) << json::stringify(r.body);
    if (token) *token = json::getString(r.body, "registration_access_token").value_or("");
    if (secret) *secret = json::getString(r.body, "client_secret").value_or("");
    return json::getString(r.body, "client_id").value_or("");
  }
  void expectRefused(const std::string& metadata, const std::string& error) {
    const auto r = reg(metadata);
    EXPECT_EQ(r.status, 400) << metadata;
    EXPECT_EQ(json::getString(r.body, "error"), error)
        << metadata << " -> " << json::stringify(r.body);
    EXPECT_TRUE(json::getString(r.body, "error_description").has_value());
  }

  TempDir dir_;
  storage::Database db_;
  ClientRegistry registry_;
};

TEST_F(ClientRegistryTest, RegistersAPublicNativeClient) {
  const auto r = reg(R"J({"client_name":"Desk","redirect_uris":["http://127.0.0.1/cb"],
                         "token_endpoint_auth_method":"none"})J");
  ASSERT_EQ(r.status, 201) << json::stringify(r.body);
  const std::string id = *json::getString(r.body, "client_id");
  EXPECT_TRUE(common::startsWith(id, "pc_"));
  EXPECT_FALSE(r.body->has("client_secret"));
  EXPECT_EQ(json::getString(r.body, "application_type"), std::string("native"));
  EXPECT_EQ(json::getString(r.body, "registration_client_uri"),
            "https://as.example/oauth/register/" + id);
  EXPECT_TRUE(json::getInt(r.body, "client_id_issued_at").has_value());
  const std::string token = *json::getString(r.body, "registration_access_token");
  EXPECT_GE(token.size(), 40u);
  std::string problem;
  const auto client = registry_.find(id, problem);
  ASSERT_TRUE(client.has_value()) << problem;
  EXPECT_EQ(client->kind, "dcr");
  EXPECT_EQ(client->name, "Desk");
  EXPECT_FALSE(client->confidential());
  EXPECT_TRUE(client->allowsGrant("authorization_code"));
  EXPECT_TRUE(client->allowsGrant("refresh_token"));
  EXPECT_FALSE(client->allowsGrant("client_credentials"));
}

TEST_F(ClientRegistryTest, AConfidentialClientGetsASecretStoredAsAHashOnly) {
  std::string token;
  std::string secret;
  const std::string id =
      registered(R"J({"redirect_uris":["https://app.example/cb"]})J", &token, &secret);
  EXPECT_GE(secret.size(), 40u);
  const auto rows = db_.query(
      "SELECT secret_hash, registration_token_hash, metadata_json FROM clients WHERE client_id = ?",
      {Value(id)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), common::sha256Hex(secret));
  EXPECT_EQ(rows[0].text(1), common::sha256Hex(token));
  EXPECT_EQ(rows[0].text(2).find(secret), std::string::npos);
  std::string problem;
  const auto client = registry_.find(id, problem);
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->confidential());
  EXPECT_TRUE(registry_.verifySecret(*client, secret));
  EXPECT_FALSE(registry_.verifySecret(*client, secret + "x"));
  EXPECT_FALSE(registry_.verifySecret(*client, ""));
  EXPECT_FALSE(registry_.verifySecret(*client, token));
}

TEST_F(ClientRegistryTest, RefusesBadMetadata) {
  expectRefused("{}", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":[]})J", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":"https://app.example/cb"})J", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":[5]})J", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":["javascript:alert(1)"]})J", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":["https://app.example/cb#x"]})J", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":["http://app.example/cb"]})J", "invalid_redirect_uri");
  std::string many = R"J({"redirect_uris":[)J";
  for (int i = 0; i < 21; ++i)
    many += std::string(i ? "," : "") + "\"https://app.example/cb" + std::to_string(i) + "\"";
  expectRefused(many + "]}", "invalid_redirect_uri");
  expectRefused(R"J({"redirect_uris":["https://app.example/cb"],"application_type":"desktop"})J",
                "invalid_client_metadata");
  expectRefused(R"J({"redirect_uris":["http://127.0.0.1/cb"],"application_type":"web"})J",
                "invalid_redirect_uri");
  expectRefused(
      R"J({"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt"})J",
      "invalid_client_metadata");
  expectRefused(
      R"J({"redirect_uris":["https://app.example/cb"],"grant_types":"authorization_code"})J",
      "invalid_client_metadata");
  expectRefused(R"J({"redirect_uris":["https://app.example/cb"],"grant_types":["implicit"]})J",
                "invalid_client_metadata");
  expectRefused(R"J({"redirect_uris":["https://app.example/cb"],"grant_types":["password"]})J",
                "invalid_client_metadata");
  expectRefused(
      R"J({"redirect_uris":["https://app.example/cb"],"grant_types":["client_credentials"]})J",
      "invalid_client_metadata");
  expectRefused(R"J({"redirect_uris":["https://app.example/cb"],"response_types":["token"]})J",
                "invalid_client_metadata");
  expectRefused(R"J({"redirect_uris":["https://app.example/cb"],"client_name":")J" +
                    std::string(201, 'n') + "\"}",
                "invalid_client_metadata");
  expectRefused(
      R"J({"redirect_uris":["https://app.example/cb"],"client_uri":"javascript:alert(1)"})J",
      "invalid_client_metadata");
  expectRefused(
      R"J({"redirect_uris":["https://app.example/cb"],"client_uri":"http://app.example"})J",
      "invalid_client_metadata");
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM clients").front().integer(0), 0);
}

TEST_F(ClientRegistryTest, KeepsOnlyKnownMetadata) {
  const auto r = reg(R"J({"redirect_uris":["https://app.example/cb"],"client_name":"App",
                         "software_id":"sw","admin":true,"role":"admin","client_secret":"mine",
                         "registration_access_token":"mine","client_id":"chosen-by-client"})J");
  ASSERT_EQ(r.status, 201);
  EXPECT_FALSE(r.body->has("admin"));
  EXPECT_FALSE(r.body->has("role"));
  EXPECT_EQ(json::getString(r.body, "software_id"), std::string("sw"));
  EXPECT_NE(json::getString(r.body, "client_id"), std::string("chosen-by-client"));
  EXPECT_NE(json::getString(r.body, "client_secret"), std::string("mine"));
  EXPECT_NE(json::getString(r.body, "registration_access_token"), std::string("mine"));
}

// ---- RFC 7592 -----------------------------------------------------------------------------

TEST_F(ClientRegistryTest, ReadNeedsTheRegistrationAccessToken) {
  std::string token;
  const std::string id = registered(R"J({"redirect_uris":["https://app.example/cb"]})J", &token);
  const auto ok = registry_.read(id, token, "https://as.example/oauth/register");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::getString(ok.body, "client_id"), id);
  EXPECT_FALSE(ok.body->has("client_secret"));
  EXPECT_FALSE(ok.body->has("registration_access_token"));
  for (const std::string& bad :
       std::vector<std::string>{"", token + "x", token.substr(1), "Bearer " + token}) {
    const auto r = registry_.read(id, bad, "");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(json::getString(r.body, "error"), std::string("invalid_token"));
  }
}

TEST_F(ClientRegistryTest, OneClientsTokenCannotManageAnother) {
  std::string tokenA;
  std::string tokenB;
  const std::string a = registered(R"J({"redirect_uris":["https://a.example/cb"]})J", &tokenA);
  const std::string b = registered(R"J({"redirect_uris":["https://b.example/cb"]})J", &tokenB);
  EXPECT_EQ(registry_.read(b, tokenA, "").status, 401);
  EXPECT_EQ(
      registry_.update(b, tokenA, object(R"J({"redirect_uris":["https://evil.example/cb"]})J"), "")
          .status,
      401);
  EXPECT_EQ(registry_.remove(b, tokenA).status, 401);
  std::string problem;
  EXPECT_FALSE(registry_.find(b, problem)->revoked);
  EXPECT_EQ(registry_.find(b, problem)->redirectUris,
            std::vector<std::string>{"https://b.example/cb"});
  (void)a;
}

TEST_F(ClientRegistryTest, ConfiguredAndUnknownClientsCannotBeManaged) {
  EXPECT_EQ(registry_.read("team-app", "anything", "").status, 401);
  EXPECT_EQ(registry_.remove("ops-console", "anything").status, 401);
  EXPECT_EQ(registry_.read("nope", "", "").status, 401);
}

TEST_F(ClientRegistryTest, UpdateReplacesTheMetadata) {
  std::string token;
  const std::string id =
      registered(R"J({"redirect_uris":["https://app.example/cb"],"client_name":"Old"})J", &token);
  const auto r = registry_.update(
      id, token,
      object(R"J({"client_id":")J" + id +
             R"J(","redirect_uris":["https://app.example/new"],"client_name":"New"})J"),
      "https://as.example/oauth/register");
  ASSERT_EQ(r.status, 200) << json::stringify(r.body);
  std::string problem;
  const auto client = registry_.find(id, problem);
  EXPECT_EQ(client->name, "New");
  EXPECT_EQ(client->redirectUris, std::vector<std::string>{"https://app.example/new"});
  // The registration access token still works.
  EXPECT_EQ(registry_.read(id, token, "").status, 200);
}

TEST_F(ClientRegistryTest, UpdateRefusesBadChanges) {
  std::string token;
  const std::string id = registered(R"J({"redirect_uris":["https://app.example/cb"]})J", &token);
  EXPECT_EQ(
      registry_
          .update(id, token,
                  object(R"J({"client_id":"other","redirect_uris":["https://app.example/cb"]})J"),
                  "")
          .status,
      400);
  EXPECT_EQ(
      registry_
          .update(
              id, token,
              object(
                  R"J({"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none"})J"),
              "")
          .status,
      400);
  EXPECT_EQ(
      registry_.update(id, token, object(R"J({"redirect_uris":["javascript:alert(1)"]})J"), "")
          .status,
      400);
  EXPECT_EQ(registry_.update(id, "", object(R"J({"redirect_uris":["https://app.example/x"]})J"), "")
                .status,
            401);
  std::string problem;
  EXPECT_EQ(registry_.find(id, problem)->redirectUris,
            std::vector<std::string>{"https://app.example/cb"});
}

TEST_F(ClientRegistryTest, DeleteEndsTheRegistration) {
  std::string token;
  const std::string id = registered(R"J({"redirect_uris":["https://app.example/cb"]})J", &token);
  EXPECT_EQ(registry_.remove(id, "").status, 401);
  std::string problem;
  EXPECT_FALSE(registry_.find(id, problem)->revoked);
  EXPECT_EQ(registry_.remove(id, token).status, 204);
  EXPECT_TRUE(registry_.find(id, problem)->revoked);
  EXPECT_EQ(registry_.read(id, token, "").status, 401);
  EXPECT_EQ(registry_.remove(id, token).status, 401);
}

// ---- revocation ----------------------------------------------------------------------------

TEST_F(ClientRegistryTest, RevokingARegisteredClientEndsItAndEverythingItWasIssued) {
  std::string token;
  const std::string id = registered(R"J({"redirect_uris":["https://app.example/cb"]})J", &token);
  GrantStore grants(db_);
  const Grant g1 = grants.createGrant("u_1", id, "tools:read", "r");
  const Grant g2 = grants.createGrant("u_2", id, "tools:read", "r");
  const Grant other = grants.createGrant("u_1", "team-app", "tools:read", "r");
  const std::string refresh = grants.issueRefreshToken(g1.id, 1h);
  const std::string otherRefresh = grants.issueRefreshToken(other.id, 1h);
  grants.rememberConsent("u_1", id, "tools:read", 1h);
  grants.rememberConsent("u_1", "team-app", "tools:read", 1h);

  std::string problem;
  ASSERT_TRUE(registry_.revoke(id, problem)) << problem;
  EXPECT_TRUE(registry_.find(id, problem)->revoked);
  EXPECT_TRUE(grants.find(g1.id)->revoked);
  EXPECT_TRUE(grants.find(g2.id)->revoked);
  EXPECT_FALSE(grants.find(other.id)->revoked);
  EXPECT_FALSE(grants.rotateRefreshToken(refresh, id, 1h).grant);
  EXPECT_TRUE(grants.rotateRefreshToken(otherRefresh, "team-app", 1h).grant);
  EXPECT_FALSE(grants.consentCovers("u_1", id, {"tools:read"}));
  EXPECT_TRUE(grants.consentCovers("u_1", "team-app", {"tools:read"}));
  EXPECT_EQ(registry_.read(id, token, "").status, 401);
  bool logged = false;
  for (const auto& c : changesSince(db_, 0)) logged = logged || (c.kind == "client" && c.ref == id);
  EXPECT_TRUE(logged);
}

TEST_F(ClientRegistryTest, RevokingAConfiguredClientEndsItsGrantsButNotTheClient) {
  GrantStore grants(db_);
  const Grant g = grants.createGrant("u_1", "team-app", "tools:read", "r");
  std::string problem;
  ASSERT_TRUE(registry_.revoke("team-app", problem)) << problem;
  EXPECT_TRUE(grants.find(g.id)->revoked);
  const auto client = registry_.find("team-app", problem);
  ASSERT_TRUE(client.has_value());
  EXPECT_FALSE(client->revoked);
  EXPECT_TRUE(registry_.verifySecret(*client, "a configured secret value"));
}

TEST_F(ClientRegistryTest, SystemManagedAndUnknownClientsCannotBeRevoked) {
  GrantStore grants(db_);
  const Grant g = grants.createGrant("u_1", "ops-console", "tools:read", "r");
  std::string problem;
  EXPECT_FALSE(registry_.revoke("ops-console", problem));
  EXPECT_NE(problem.find("system-managed"), std::string::npos) << problem;
  EXPECT_FALSE(grants.find(g.id)->revoked);
  problem.clear();
  EXPECT_FALSE(registry_.revoke("no-such-client", problem));
  EXPECT_FALSE(problem.empty());
}

TEST_F(ClientRegistryTest, ConfiguredClientsAreFoundWithTheirSettings) {
  std::string problem;
  const auto ops = registry_.find("ops-console", problem);
  ASSERT_TRUE(ops);
  EXPECT_EQ(ops->kind, "configured");
  EXPECT_TRUE(ops->systemManaged);
  EXPECT_FALSE(ops->confidential());
  const auto team = registry_.find("team-app", problem);
  ASSERT_TRUE(team);
  EXPECT_TRUE(team->confidential());
  EXPECT_EQ(team->name, "team-app");
  EXPECT_FALSE(registry_.find("pc_unknown", problem));
  EXPECT_EQ(problem, "unknown client");
  // Listed with the registered ones.
  registered(R"J({"redirect_uris":["https://app.example/cb"]})J");
  EXPECT_EQ(registry_.list().size(), 3u);
}

TEST_F(ClientRegistryTest, MetadataDocumentsAreRefusedWhenDisabled) {
  std::string problem;
  EXPECT_FALSE(registry_.find("https://app.example/client.json", problem));
  EXPECT_NE(problem.find("not accepted"), std::string::npos) << problem;
}

TEST(ConfiguredClients, ARedirectUriARegistrationWouldRefuseStopsStartUp) {
  TempDir dir;
  storage::Database db(storage::StorageOptions{dir.file("c.db")});
  config::ConfiguredClient bad;
  bad.clientId = "bad";
  bad.redirectUris = {"javascript:alert(1)"};
  bad.grantTypes = {"authorization_code"};
  EXPECT_THROW(ClientRegistry(db, {bad}, FetcherOptions{}, false), std::invalid_argument);
}

}  // namespace
}  // namespace portcullis::oauth
