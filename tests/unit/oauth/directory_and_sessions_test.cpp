// The user directory (core/oauth/user_directory.hpp), browser sessions
// (core/oauth/browser_sessions.hpp), HTTP form helpers (core/oauth/http.hpp)
// and the change-log poller of AuthService (core/oauth/auth_service.hpp).

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/oauth/auth_service.hpp"
#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;
using testing::FakeIdentity;
using testing::TempDir;

// ---- users ------------------------------------------------------------------------------------

class UserDirectoryTest : public ::testing::Test {
 protected:
  UserDirectoryTest() : db_(storage::StorageOptions{dir_.file("users.db")}), users_(db_) {}
  TempDir dir_;
  storage::Database db_;
  UserDirectory users_;
};

TEST_F(UserDirectoryTest, UsernamesAreCaseInsensitiveAndUnique) {
  const User u = users_.create("Alice", "Alice@Example.com", "member", "builtin");
  EXPECT_EQ(u.username, "alice");
  EXPECT_EQ(users_.byUsername("ALICE")->id, u.id);
  EXPECT_EQ(users_.byEmail("alice@example.COM")->id, u.id);
  EXPECT_THROW(users_.create("alice", "", "member", "builtin"), std::invalid_argument);
  EXPECT_THROW(users_.create("ALICE", "", "member", "builtin"), std::invalid_argument);
  EXPECT_EQ(users_.count(), 1u);
}

TEST_F(UserDirectoryTest, MalformedNamesAndRolesAreRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", "a b", "a/b", "a\nb", "<script>", std::string(65, 'a'),
                                std::string("a\0b", 3), "\xc3\xa9t\xc3\xa9"}) {
    EXPECT_THROW(users_.create(bad, "", "member", "builtin"), std::invalid_argument) << bad;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "ad min", "admin;", std::string(65, 'r')}) {
    EXPECT_THROW(users_.create("ok", "", bad, "builtin"), std::invalid_argument) << bad;
  }
  EXPECT_EQ(users_.count(), 0u);
  EXPECT_NO_THROW(users_.create("first.last-1_x@corp", "", "custom_role-2", "builtin"));
}

TEST_F(UserDirectoryTest, EmailAddressesThatCouldBreakAHeaderAreRefused) {
  for (const std::string& bad : std::vector<std::string>{
           "a@b\r\nRCPT TO:<x@y>", "a b@c", "no-at-sign", "@b", "a@", "a@b@c", "<a@b>", "a@b,c@d",
           std::string("a@b\0c", 5), std::string(250, 'a') + "@b.co"}) {
    EXPECT_THROW(users_.create("u" + std::to_string(bad.size()), bad, "member", "builtin"), std::invalid_argument)
        << bad;
  }
  EXPECT_EQ(users_.count(), 0u);
  EXPECT_NO_THROW(users_.create("ann", "ann.o'neil+mcp@example.co.uk", "member", "builtin"));
  EXPECT_NO_THROW(users_.create("nomail", "", "member", "builtin"));
}

TEST_F(UserDirectoryTest, ChangesAreRecordedForRunningServers) {
  const User u = users_.create("bob", "", "member", "builtin");
  EXPECT_TRUE(users_.setRole("bob", "admin"));
  EXPECT_TRUE(users_.setDisabled("BOB", true));
  EXPECT_FALSE(users_.setRole("nobody", "admin"));
  EXPECT_FALSE(users_.setDisabled("nobody", true));
  EXPECT_THROW(users_.setRole("bob", "bad role"), std::invalid_argument);
  const auto after = users_.byId(u.id);
  EXPECT_EQ(after->role, "admin");
  EXPECT_TRUE(after->disabled);
  bool logged = false;
  for (const auto& c : changesSince(db_, 0)) logged = logged || (c.kind == "user" && c.ref == u.id);
  EXPECT_TRUE(logged);
  users_.remove(u.id);
  EXPECT_FALSE(users_.byId(u.id));
  EXPECT_FALSE(users_.byEmail(""));
}

// ---- browser sessions ---------------------------------------------------------------------------

TEST(BrowserSessions, RenewGivesANewIdAndCsrfAndForgetsTheOld) {
  BrowserSessions sessions(1h);
  BrowserSession s = sessions.create();
  EXPECT_GE(s.id.size(), 32u);
  EXPECT_GE(s.csrf.size(), 32u);
  EXPECT_NE(s.id, s.csrf);
  s.userId = "u_1";
  const BrowserSession renewed = sessions.renew(s);
  EXPECT_NE(renewed.id, s.id);
  EXPECT_NE(renewed.csrf, s.csrf);
  EXPECT_EQ(renewed.userId, "u_1");
  EXPECT_FALSE(sessions.find(s.id));
  EXPECT_TRUE(sessions.find(renewed.id));
}

TEST(BrowserSessions, SessionsExpire) {
  BrowserSessions sessions(1ms);
  const BrowserSession s = sessions.create();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (sessions.find(s.id) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(2ms);
  EXPECT_FALSE(sessions.find(s.id));
}

TEST(BrowserSessions, AFullTableEvictsAnonymousSessionsBeforeSignedInOnes) {
  BrowserSessions sessions(1h);
  BrowserSession first = sessions.create();
  first.userId = "u_1";
  const BrowserSession signedIn = sessions.renew(first);
  const BrowserSession anonymous = sessions.create();
  // A flood of anonymous visits, well past the table's size.
  for (int i = 0; i < 150'000; ++i) sessions.create();
  EXPECT_TRUE(sessions.find(signedIn.id)) << "a signed-in session was pushed out by anonymous ones";
  EXPECT_FALSE(sessions.find(anonymous.id)) << "the oldest anonymous session should have gone first";
}

TEST(BrowserSessions, HostileIdsFindNothing) {
  BrowserSessions sessions(1h);
  sessions.create();
  for (const std::string& id :
       std::vector<std::string>{"", std::string(129, 'a'), std::string(100'000, 'a'), "x"}) {
    EXPECT_FALSE(sessions.find(id));
  }
}

TEST(BrowserSessions, OnlyAFewFlowsPerSession) {
  BrowserSessions sessions(1h);
  BrowserSession s = sessions.create();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    AuthorizationRequest r;
    r.clientId = "c" + std::to_string(i);
    ids.push_back(sessions.addFlow(s, r));
  }
  const auto stored = sessions.find(s.id);
  ASSERT_TRUE(stored);
  EXPECT_LE(stored->flows.size(), 8u);
  EXPECT_EQ(stored->flows.count(ids.back()), 1u) << "the newest flow was dropped";
}

// ---- forms
// ----------------------------------------------------------------------------------------

TEST(ParseForm, DecodesAndRefusesMalformedInput) {
  Pairs out;
  ASSERT_TRUE(parseForm("a=1&b=x+y&c=%41%42&d=&e", out));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[1].second, "x y");
  EXPECT_EQ(out[2].second, "AB");
  EXPECT_EQ(out[3].second, "");
  EXPECT_EQ(out[4].first, "e");
  for (const std::string& bad :
       std::vector<std::string>{"a=%", "a=%4", "a=%zz", "%=1", "a=%00", "a%00=1", "a=%4g"}) {
    EXPECT_FALSE(parseForm(bad, out)) << bad;
  }
  EXPECT_TRUE(parseForm("", out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(parseForm("a=%41", out));
  EXPECT_EQ(out[0].second, "A");
}

TEST(ParseForm, DuplicatesAreReported) {
  Pairs out;
  ASSERT_TRUE(parseForm("a=1&b=2&a=3", out));
  bool duplicate = false;
  EXPECT_EQ(single(out, "b", duplicate), std::string("2"));
  EXPECT_FALSE(duplicate);
  single(out, "a", duplicate);
  EXPECT_TRUE(duplicate);
}

TEST(FormEncode, RoundTrips) {
  std::string all;
  for (int i = 1; i < 256; ++i) all += static_cast<char>(i);
  Pairs out;
  ASSERT_TRUE(parseForm("v=" + formEncode(all), out));
  EXPECT_EQ(out[0].second, all);
}

TEST(HttpRequestHeaders, CookiesAndHeadersAreFoundByExactName) {
  HttpRequest r;
  r.headers = {{"cookie", "a=1; pc_session=abc; pc_session_x=no"}, {"X-Test", "v"}};
  EXPECT_EQ(r.cookie("pc_session"), std::string("abc"));
  EXPECT_EQ(r.cookie("pc_sess"), std::nullopt);
  EXPECT_EQ(r.header("x-test"), std::string("v"));
  EXPECT_EQ(r.header("X-Missing"), std::nullopt);
}

// ---- the change-log poller
// -------------------------------------------------------------------------

TEST(AuthService, AppliesChangesFromAnotherProcessWhileRunning) {
  TempDir dir;
  storage::Database db(storage::StorageOptions{dir.file("auth.db")});
  config::Config config;
  config.auth.enabled = true;
  config.auth.identity = "fake";
  config.auth.secretKeyFile = dir.file("secret.key");
  auto identity = std::make_shared<FakeIdentity>();
  AuthService service(config, db, identity, nullptr);
  std::atomic<int> heard{0};
  service.onChange([&](const Change& c) {
    if (c.kind == change_kind::kApiToken) ++heard;
  });
  service.start();

  // The CLI's view of the same database.
  storage::Database cli(storage::StorageOptions{dir.file("auth.db")});
  UserDirectory users(cli);
  ApiTokenStore tokens(cli);
  const User u = users.create("carol", "", "member", "fake");
  ApiToken record;
  const std::string token = tokens.create(u.id, "tools:read", 1h, "", record);
  const std::string base = "http://127.0.0.1:8080";
  ASSERT_EQ(service.resourceServer().check("Bearer " + token, base).result,
            BearerCheck::Result::Ok);
  ASSERT_TRUE(tokens.revoke(record.id));
  const auto until = std::chrono::steady_clock::now() + 15s;
  while (service.resourceServer().check("Bearer " + token, base).result ==
             BearerCheck::Result::Ok &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(service.resourceServer().check("Bearer " + token, base).result,
            BearerCheck::Result::Invalid);
  EXPECT_GE(heard.load(), 1);
  service.stop();
  service.stop();  // twice is fine
}

TEST(AuthService, OffersASetupPathOnlyWhileThereIsNoUser) {
  TempDir dir;
  storage::Database db(storage::StorageOptions{dir.file("auth.db")});
  config::Config config;
  config.auth.enabled = true;
  config.auth.identity = "fake";
  config.auth.secretKeyFile = dir.file("secret.key");
  AuthService service(config, db, std::make_shared<FakeIdentity>(), nullptr);
  const auto path = service.setupPath();
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->rfind("/setup?token=", 0), 0u);
  service.users().create("dave", "", "admin", "fake");
  EXPECT_FALSE(service.setupPath().has_value());
}

}  // namespace
}  // namespace portcullis::oauth
