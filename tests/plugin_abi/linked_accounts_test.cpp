// Linked accounts at the plugin boundary (plugin ABI 1.3): the SDK fixture
// sdk_linked_account declares its account from its constructor and asks
// for tokens through Call::accountToken and Host::catalogAccountToken, on a
// real in-process gateway with sign-in, driven over MCP with API tokens.
//
// Declarations the host refuses end the plugin's creation with the reason;
// a caller who has not linked is sent to the link page; a linked caller gets
// their own token and nobody else's; a client acting for itself has no
// account; and the mcp_upstream connector's auth.user_oauth is checked
// against the schema it ships.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/common/crypto.hpp"
#include "core/common/error.hpp"
#include "core/common/json.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"
#include "tests/plugin_abi/abi_fixtures.hpp"
#include "tests/plugin_abi/mcp_session.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_gateway.hpp"

namespace portcullis::testing {
namespace {

using ::testing::HasSubstr;
using storage::Value;
namespace json = common::json;

// Configured endpoints and client: AccountLinks makes no request to an
// upstream until a token must be refreshed.
constexpr const char* kEndpoints =
    R"({"title": "GitHub", "authorization_endpoint": "https://github.example/authorize",
        "token_endpoint": "https://github.example/token", "client_id": "portcullis"})";

// A plugins: entry for the fixture as connector `name` (JSON is YAML flow).
std::string linkedEntry(const std::string& name, const std::string& configJson) {
  return "  - {name: " + name + ", kind: connector, library: " + pluginPath("sdk_linked_account") +
         ", config: " + configJson + "}\n";
}

// {"account_bytes": [...]}: `text` byte for byte, past the SDK's JSON writer.
std::string bytesConfig(const std::string& text) {
  std::string list;
  for (const char c : text) list += (list.empty() ? "" : ", ") + std::to_string(static_cast<unsigned char>(c));
  return "{account_bytes: [" + list + "]}";
}

// What the gateway says when the plugin's creation fails.
std::string startupFailure(const std::string& yaml) {
  try {
    TestGateway gateway(yaml);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "(the gateway started)";
}

struct ToolAnswer {
  bool isError = false;
  std::string text;
};

ToolAnswer callTool(McpSession& session, const std::string& tool, const std::string& arguments = "{}") {
  const json::ObjectPtr response = session.callTool(tool, arguments);
  const json::ObjectPtr result = json::getObject(response, "result");
  EXPECT_TRUE(result) << json::stringify(response);
  return ToolAnswer{result && result->optValue("isError", false), firstText(response)};
}

// A port nothing listens on (bound once, then released).
uint16_t closedPort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const uint16_t port = socket.address().port();
  socket.close();
  return port;
}

// --- Declarations the host refuses -------------------------------------------

struct Refusal {
  std::string id;
  std::string config;  // the fixture's config (YAML flow)
  std::string reason;  // what the start-up error must say
};

TEST(LinkedAccounts, DeclarationsTheHostRefusesEndCreationWithTheReason) {
  const std::vector<Refusal> refusals = {
      {"string", R"({account: "https://github.example"})", "the account is not a JSON object"},
      {"array", R"({account: ["https://github.example"]})", "the account is not a JSON object"},
      {"resource_number", R"({account: {resource: 42}})", "resource must be a string"},
      {"title_bool", R"({account: {title: true, resource: "https://github.example"}})", "title must be a string"},
      {"client_secret_object",
       R"({account: {resource: "https://github.example", client_id: a, client_secret: {env: X}}})",
       "client_secret must be a string"},
      {"scopes_string", R"({account: {resource: "https://github.example", scopes: repo}})",
       "scopes must be an array of strings"},
      {"scopes_mixed", R"({account: {resource: "https://github.example", scopes: [repo, 7]}})",
       "scopes must be an array of strings"},
      {"nothing", R"({account: {title: GitHub}})", "the linked account github needs the upstream's URL or its endpoints"},
      {"one_endpoint", R"({account: {authorization_endpoint: "https://github.example/authorize"}})",
       "the linked account github needs the upstream's URL or its endpoints"},
      {"token_endpoint_only", R"({account: {token_endpoint: "https://github.example/token"}})",
       "the linked account github needs the upstream's URL or its endpoints"},
      // Raw NUL bytes, after the object and inside a string: not JSON text.
      {"nul_after", bytesConfig(std::string(R"({"resource":"https://github.example"})") + '\0' + "{}"),
       "the account is not a JSON object"},
      {"nul_inside", bytesConfig(std::string(R"({"resource":"https://git)") + '\0' + R"(hub.example"})"),
       "the account is not a JSON object"},
      {"empty", bytesConfig(""), "the account is not a JSON object"},
  };
  ScratchDir dir;
  const std::string base = TestGateway::authConfig(dir.path().string());
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.id);
    const std::string error = startupFailure(base + linkedEntry("github", r.config));
    EXPECT_THAT(error, HasSubstr("plugins[3]"));
    EXPECT_THAT(error, HasSubstr("failed to start"));
    EXPECT_THAT(error, HasSubstr(r.reason));
  }
}

TEST(LinkedAccounts, WithoutSignInThereAreNoLinkedAccounts) {
  const std::string open = "logging:\n  level: error\nplugins:\n";
  EXPECT_THAT(startupFailure(open + linkedEntry("github", std::string("{account: ") + kEndpoints + "}")),
              HasSubstr("linked accounts need sign-in"));

  // A plugin that declares nothing loads; asking for a token is a tool error.
  TestGateway gateway(open + linkedEntry("github", "{}"));
  McpSession session(gateway.port());
  for (const char* tool : {"account_whoami", "account_catalog"}) {
    SCOPED_TRACE(tool);
    const ToolAnswer answer = callTool(session, tool);
    EXPECT_TRUE(answer.isError);
    EXPECT_THAT(answer.text, HasSubstr("linked accounts need sign-in"));
  }
}

// --- A gateway with sign-in and the fixture as `github` ----------------------

class LinkedAccountsGateway : public ::testing::Test {
 protected:
  // The fixture declares `accountJson`; the gateway also knows `bot`, a
  // client that may use client_credentials.
  void start(const std::string& accountJson) {
    AuthOptions options;
    options.auth =
        "clients:\n"
        "  - {client_id: bot, redirect_uris: [], secret: \"bot secret of enough length\","
        " grant_types: [client_credentials]}\n";
    options.extra = linkedEntry("github", "{account: " + accountJson + "}");
    gateway_ = TestGateway::withAuth(options);
    db_ = std::make_unique<storage::Database>(storage::StorageOptions{gateway_->dataDir() + "/portcullis.db"});
  }

  // A member and an API token that may call tools.
  std::pair<std::string, std::string> user(const std::string& name) {
    oauth::UserDirectory users(*db_);
    oauth::ApiTokenStore tokens(*db_);
    const oauth::User created = users.create(name, name + "@example.com", "member", "builtin");
    oauth::ApiToken record;
    return {created.id, tokens.create(created.id, "tools:read tools:call", std::chrono::hours(1), "t", record)};
  }

  // Stores a link the way AccountLinks::store does (it is private, and the
  // link flow needs a browser and an upstream): the tokens sealed with
  // common::seal under the server's secret key, with the context format of
  // core/accounts/account_links.cpp, "account-link:<what>:<user>:<account>".
  void link(const std::string& userId, const std::string& access, const std::string& refresh = "",
            int64_t expiresAt = 0) {
    const std::string key = oauth::loadSecretKey(gateway_->dataDir() + "/secret.key", false);
    const auto sealed = [&](const std::string& what, const std::string& value) {
      return common::seal(key, value, "account-link:" + what + ":" + userId + ":github");
    };
    const int64_t now = storage::nowMillis();
    db_->execute(
        "INSERT INTO account_links (user_id, account, access_token, refresh_token, scope, expires_at, redirect_uri, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {Value(userId), Value(std::string("github")), Value(sealed("access", access)),
         Value(refresh.empty() ? std::string() : sealed("refresh", refresh)), Value(std::string("repo")),
         Value(expiresAt), Value("http://" + gateway_->host() + "/accounts/callback"), Value(now), Value(now)});
  }

  bool linked(const std::string& userId) {
    return !db_->query("SELECT 1 FROM account_links WHERE user_id = ? AND account = 'github'", {Value(userId)})
                .empty();
  }

  std::string linkPage() const { return "http://" + gateway_->host() + "/accounts/link/github"; }

  std::unique_ptr<TestGateway> gateway_;
  std::unique_ptr<storage::Database> db_;
};

TEST_F(LinkedAccountsGateway, ACallerWhoHasNotLinkedIsSentToTheLinkPage) {
  start(R"({resource: "https://github.example/mcp", title: GitHub})");
  const auto [annId, annToken] = user("ann");
  McpSession session(gateway_->port(), "/mcp", annToken);

  for (const char* refresh : {"{}", R"({"refresh": true})"}) {
    SCOPED_TRACE(refresh);
    const ToolAnswer whoami = callTool(session, "account_whoami", refresh);
    EXPECT_FALSE(whoami.isError) << whoami.text;
    EXPECT_EQ(whoami.text, "link:" + linkPage());
  }
  // No caller: a path alone, nobody has linked yet.
  const ToolAnswer catalog = callTool(session, "account_catalog");
  EXPECT_FALSE(catalog.isError) << catalog.text;
  EXPECT_EQ(catalog.text, "link:/accounts/link/github");

  // The page is there; it first asks the browser to sign in.
  const HttpResult page = request(gateway_->port(), "GET", "/accounts/link/github");
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_THAT(page.body, HasSubstr("Sign in to manage your linked accounts"));
}

TEST_F(LinkedAccountsGateway, ALinkedCallerGetsTheirOwnTokenAndNobodyElses) {
  start(kEndpoints);
  const auto [annId, annToken] = user("ann");
  const auto [bobId, bobToken] = user("bob");
  link(annId, "ann-at-github");
  McpSession ann(gateway_->port(), "/mcp", annToken);
  McpSession bob(gateway_->port(), "/mcp", bobToken);

  EXPECT_EQ(callTool(ann, "account_whoami").text, "token:ann-at-github");
  EXPECT_EQ(callTool(bob, "account_whoami").text, "link:" + linkPage());
  // Requests no caller makes use the link used last: ann's.
  EXPECT_EQ(callTool(bob, "account_catalog").text, "token:ann-at-github");

  // Ann's sealed token moved into bob's row does not open: the seal is
  // bound to the user.
  db_->execute(
      "INSERT INTO account_links (user_id, account, access_token, refresh_token, scope, expires_at, redirect_uri, "
      "created_at, updated_at) SELECT ?, account, access_token, refresh_token, scope, expires_at, redirect_uri, "
      "created_at, updated_at FROM account_links WHERE user_id = ?",
      {Value(bobId), Value(annId)});
  EXPECT_EQ(callTool(bob, "account_whoami").text, "link:" + linkPage());
  EXPECT_EQ(callTool(ann, "account_whoami").text, "token:ann-at-github");
}

TEST_F(LinkedAccountsGateway, ARefusedTokenWithoutARefreshTokenEndsTheLink) {
  start(kEndpoints);
  const auto [annId, annToken] = user("ann");
  link(annId, "ann-at-github");
  McpSession ann(gateway_->port(), "/mcp", annToken);

  // The upstream refused the token and there is nothing to refresh it with:
  // the caller links again.
  const ToolAnswer refreshed = callTool(ann, "account_whoami", R"({"refresh": true})");
  EXPECT_FALSE(refreshed.isError) << refreshed.text;
  EXPECT_EQ(refreshed.text, "link:" + linkPage());
  EXPECT_FALSE(linked(annId));
  EXPECT_EQ(callTool(ann, "account_whoami").text, "link:" + linkPage());
}

TEST_F(LinkedAccountsGateway, AnUnreachableAuthorizationServerIsAToolErrorAndKeepsTheLink) {
  const std::string tokenEndpoint = "http://127.0.0.1:" + std::to_string(closedPort()) + "/token";
  start(R"({"authorization_endpoint": "https://github.example/authorize", "token_endpoint": ")" + tokenEndpoint +
        R"(", "client_id": "portcullis"})");
  const auto [annId, annToken] = user("ann");
  // Expired long ago, so the next use refreshes.
  link(annId, "ann-at-github", "ann-refresh", 1);
  McpSession ann(gateway_->port(), "/mcp", annToken);

  const ToolAnswer answer = callTool(ann, "account_whoami");
  EXPECT_TRUE(answer.isError) << answer.text;
  EXPECT_THAT(answer.text, HasSubstr("no token for the linked account: could not reach " + tokenEndpoint));
  EXPECT_THAT(answer.text, ::testing::Not(HasSubstr("ann-refresh")));
  EXPECT_TRUE(linked(annId)) << "a transport failure is no reason to forget the link";
}

TEST_F(LinkedAccountsGateway, AClientActingForItselfHasNoLinkedAccount) {
  start(kEndpoints);
  const HttpResult issued =
      request(gateway_->port(), "POST", "/oauth/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
              "grant_type=client_credentials&client_id=bot&client_secret=bot+secret+of+enough+length");
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string token = json::getString(json::parseObject(issued.body), "access_token").value_or("");
  ASSERT_FALSE(token.empty()) << issued.body;

  McpSession bot(gateway_->port(), "/mcp", token);
  const ToolAnswer answer = callTool(bot, "account_whoami");
  EXPECT_TRUE(answer.isError) << answer.text;
  EXPECT_THAT(answer.text, HasSubstr("only a signed-in user has linked accounts"));
}

// --- Hostile declarations -------------------------------------------------------

TEST_F(LinkedAccountsGateway, AHugeTitleIsAccepted) {
  start(R"({resource: "https://github.example/mcp", title: ")" + std::string(1 << 20, 't') + "\"}");
  const auto [annId, annToken] = user("ann");
  McpSession ann(gateway_->port(), "/mcp", annToken);
  EXPECT_EQ(callTool(ann, "account_whoami").text, "link:" + linkPage());
}

TEST(LinkedAccounts, ATitleThatIsNotUtf8IsRefused) {
  ScratchDir dir;
  const std::string error = startupFailure(
      TestGateway::authConfig(dir.path().string()) +
      linkedEntry("github", bytesConfig("{\"resource\":\"https://github.example\",\"title\":\"Git\xff\xfeHub\"}")));
  EXPECT_THAT(error, HasSubstr("failed to start"));
  EXPECT_THAT(error, HasSubstr("the account is not a JSON object"));
}

// --- The mcp_upstream connector's auth.user_oauth, through the host -----------
// What only its schema refuses (parseSettings trusts it; the rest of its
// checks are in tests/connectors/mcp_upstream/settings_test.cpp).

TEST(LinkedAccounts, McpUpstreamUserOAuthIsCheckedAgainstTheSchemaItShips) {
  struct Case {
    std::string userOAuth;  // YAML flow
    std::string extraAuth;  // more keys of auth:
    std::string path;       // where the issue points
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{}", ", client_credentials: {token_url: \"https://as.example/token\", client_id: a, client_secret: b}",
       "plugins[3].config.auth", "at most 1"},
      {"{bogus: 1}", "", "plugins[3].config.auth.user_oauth.bogus", "unknown key"},
      {"{client_id: a, client_secret: {env: X, file: y}}", "", "plugins[3].config.auth.user_oauth.client_secret", ""},
      {"{scopes: repo}", "", "plugins[3].config.auth.user_oauth.scopes", "must be"},
      {"{scopes: [repo, 7]}", "", "plugins[3].config.auth.user_oauth.scopes[1]", "must be string"},
      {"{scopes: [\"\"]}", "", "plugins[3].config.auth.user_oauth.scopes[0]", "at least 1"},
      {"{title: \"\"}", "", "plugins[3].config.auth.user_oauth.title", "at least 1"},
      {"[]", "", "plugins[3].config.auth.user_oauth", "must be"},
  };
  ScratchDir dir;
  const std::string base = TestGateway::authConfig(dir.path().string());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.userOAuth + c.extraAuth);
    const std::string error =
        startupFailure(base + "  - {name: gh, kind: connector, library: mcp_upstream, config: {url: "
                              "\"https://github.example/mcp\", auth: {user_oauth: " +
                       c.userOAuth + c.extraAuth + "}}}\n");
    EXPECT_THAT(error, HasSubstr(c.path + ": "));
    EXPECT_THAT(error, HasSubstr(c.message));
    EXPECT_THAT(error, ::testing::Not(HasSubstr("failed to start")));
  }

  // Valid by the schema: the connector's own checks and the host's answer
  // end its creation.
  EXPECT_THAT(startupFailure(base + "  - {name: gh, kind: connector, library: mcp_upstream, config: {url: "
                                    "\"https://github.example/mcp\", auth: {user_oauth: {authorization_endpoint: "
                                    "\"https://github.example/authorize\"}}}}\n"),
              HasSubstr("give both authorization_endpoint and token_endpoint"));
  EXPECT_THAT(startupFailure("logging:\n  level: error\nplugins:\n  - {name: gh, kind: connector, library: "
                             "mcp_upstream, config: {url: \"https://github.example/mcp\", auth: {user_oauth: {}}}}\n"),
              HasSubstr("auth.user_oauth: linked accounts need sign-in"));
}

}  // namespace
}  // namespace portcullis::testing
