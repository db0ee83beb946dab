// The built-in identity plugin (plugins/identity/builtin) through its real
// shared library, loaded by the plugin host with a database behind its
// store: one answer for a wrong password and an unknown user, throttling per
// account and per address, Argon2id hashes stored (never the password), and
// sign-in links sent to a small SMTP sink on 127.0.0.1, single use and
// expiring.

#include <argon2.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "core/common/crypto.hpp"
#include "core/common/error.hpp"
#include "core/config/config.hpp"
#include "core/oauth/identity.hpp"
#include "core/plugin_host/plugin_host.hpp"
#include "core/storage/database.hpp"
#include "tests/plugin_abi/abi_fixtures.hpp"

namespace portcullis::testing {
namespace {

namespace json = common::json;
using namespace std::chrono_literals;
using storage::Value;

// ---- an SMTP sink --------------------------------------------------------------------------

struct Mail {
  std::string from;
  std::vector<std::string> recipients;
  std::string data;
};

// Accepts SMTP on 127.0.0.1 and keeps every message.
class SmtpSink {
 public:
  SmtpSink() : server_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] { run(); });
  }
  ~SmtpSink() {
    stop_ = true;
    thread_.join();
  }
  uint16_t port() const { return server_.address().port(); }

  // The next message, waiting (bounded) for it.
  std::optional<Mail> next(std::chrono::milliseconds bound = 10s) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, bound, [&] { return !mails_.empty(); })) return std::nullopt;
    Mail m = mails_.front();
    mails_.erase(mails_.begin());
    return m;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return mails_.size();
  }
  std::vector<std::string> commands() {
    std::lock_guard lock(mutex_);
    return commands_;
  }

 private:
  void run() {
    while (!stop_) {
      if (!server_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket client = server_.acceptConnection();
      try {
        converse(client);
      } catch (const std::exception&) {
      }
    }
  }
  bool readLine(Poco::Net::StreamSocket& s, std::string& buffer, std::string& line) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (buffer.find("\r\n") == std::string::npos) {
      if (stop_ || std::chrono::steady_clock::now() > until) return false;
      if (!s.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
      char chunk[4096];
      const int n = s.receiveBytes(chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    const size_t end = buffer.find("\r\n");
    line = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    return true;
  }
  static void say(Poco::Net::StreamSocket& s, const std::string& text) {
    const std::string line = text + "\r\n";
    s.sendBytes(line.data(), static_cast<int>(line.size()));
  }
  void converse(Poco::Net::StreamSocket& s) {
    std::string buffer;
    std::string line;
    Mail mail;
    say(s, "220 sink ready");
    while (readLine(s, buffer, line)) {
      {
        std::lock_guard lock(mutex_);
        commands_.push_back(line);
      }
      const std::string upper = line.substr(0, 4);
      if (upper == "EHLO" || upper == "HELO") {
        say(s, "250 sink");
      } else if (upper == "MAIL") {
        mail = Mail{};
        mail.from = line;
        say(s, "250 ok");
      } else if (upper == "RCPT") {
        mail.recipients.push_back(line);
        say(s, "250 ok");
      } else if (upper == "DATA") {
        say(s, "354 go ahead");
        std::string data;
        while (readLine(s, buffer, line) && line != ".") data += line + "\n";
        mail.data = data;
        {
          std::lock_guard lock(mutex_);
          mails_.push_back(mail);
        }
        cv_.notify_all();
        say(s, "250 queued");
      } else if (upper == "QUIT") {
        say(s, "221 bye");
        return;
      } else if (upper == "RSET" || upper == "NOOP") {
        say(s, "250 ok");
      } else {
        say(s, "502 not implemented");
      }
    }
  }

  Poco::Net::ServerSocket server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Mail> mails_;
  std::vector<std::string> commands_;
};

// ---- the plugin, loaded for real ------------------------------------------------------------

class BuiltinIdentity : public ::testing::Test {
 protected:
  BuiltinIdentity() : db_(storage::StorageOptions{(dir_.path() / "identity.db").string()}) {}

  // Loads the plugin with `config` (flow YAML); nullptr and the reason when it refuses.
  std::shared_ptr<oauth::IdentityProvider> load(const std::string& config,
                                                std::string* error = nullptr) {
    const std::string yaml =
        "plugin_dirs: [\"" + std::string(PORTCULLIS_TEST_PLUGIN_DIR) +
        "\"]\nlogging:\n  level: error\nplugins:\n  - name: builtin\n    kind: identity\n"
        "    library: builtin\n    config: " +
        config + "\n";
    try {
      config_ = config::loadConfigText(yaml, "<identity test>");
      host_ = std::make_unique<plugin_host::PluginHost>(config_.pluginDirs, nullptr, &db_);
      auto loaded = host_->loadAll(config_);
      return loaded.identity("builtin");
    } catch (const std::exception& e) {
      if (error) *error = e.what();
      return nullptr;
    }
  }
  std::shared_ptr<oauth::IdentityProvider> loadFast(const std::string& extra = "") {
    auto p = load("{argon2: {time_cost: 1, memory_kib: 8192}" + extra + "}");
    EXPECT_NE(p, nullptr);
    return p;
  }

  static json::ObjectPtr command(const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& args) {
    json::ObjectPtr c = json::makeObject();
    c->set("command", name);
    for (const auto& [k, v] : args) c->set(k, v);
    return c;
  }
  static void setPassword(oauth::IdentityProvider& p, const std::string& user,
                          const std::string& password) {
    p.admin(command("set_password", {{"username", user}, {"password", password}}));
  }
  static oauth::Authentication signIn(oauth::IdentityProvider& p, const std::string& user,
                                      const std::string& password,
                                      const std::string& address = "192.0.2.1") {
    json::ObjectPtr f = json::makeObject();
    f->set("username", user);
    f->set("password", password);
    f->set("client_address", address);
    return p.authenticate(f);
  }
  static oauth::Authentication redeem(oauth::IdentityProvider& p, const std::string& token) {
    json::ObjectPtr f = json::makeObject();
    f->set("magic_token", token);
    f->set("client_address", std::string("192.0.2.9"));
    return p.authenticate(f);
  }
  std::optional<std::string> stored(const std::string& key) {
    const auto rows =
        db_.query("SELECT value FROM plugin_kv WHERE plugin = 'builtin' AND key = ?", {Value(key)});
    if (rows.empty()) return std::nullopt;
    return rows[0].text(0);
  }

  ScratchDir dir_;
  storage::Database db_;
  config::Config config_;
  std::unique_ptr<plugin_host::PluginHost> host_;
};

// ---- passwords ---------------------------------------------------------------------------------

TEST_F(BuiltinIdentity, TheRightPasswordSignsIn) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  setPassword(*p, "Alice", "correct horse battery");
  auto ok = signIn(*p, "alice", "correct horse battery");
  EXPECT_TRUE(ok.ok) << ok.message;
  EXPECT_EQ(ok.username, "alice");
  // User names are case-insensitive; passwords are not.
  EXPECT_TRUE(signIn(*p, "ALICE", "correct horse battery").ok);
  EXPECT_FALSE(signIn(*p, "alice", "Correct horse battery").ok);
}

TEST_F(BuiltinIdentity, AWrongPasswordAndAnUnknownUserGetTheSameAnswer) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  const auto wrong = signIn(*p, "alice", "wrong password", "192.0.2.10");
  const auto unknown = signIn(*p, "mallory", "wrong password", "192.0.2.11");
  const auto empty = signIn(*p, "alice", "", "192.0.2.12");
  const auto huge = signIn(*p, "alice", std::string(5000, 'p'), "192.0.2.13");
  for (const auto* a : {&wrong, &unknown, &empty, &huge}) {
    EXPECT_FALSE(a->ok);
    EXPECT_TRUE(a->username.empty());
    EXPECT_EQ(a->message, wrong.message);
  }
  EXPECT_EQ(wrong.message, "Invalid username or password.");
}

TEST_F(BuiltinIdentity, OnlyAnArgon2idHashIsStored) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  const std::string password = "correct horse battery";
  setPassword(*p, "alice", password);
  const auto hash = stored("password:alice");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find(password), std::string::npos);
  // Nothing anywhere in the database holds the password.
  for (const auto& row : db_.query("SELECT key, value FROM plugin_kv")) {
    EXPECT_EQ(row.text(1).find(password), std::string::npos) << row.text(0);
  }
  // It is a real Argon2id hash of the password, checked by libargon2 itself.
  EXPECT_EQ(argon2id_verify(hash->c_str(), password.data(), password.size()), ARGON2_OK);
  EXPECT_NE(argon2id_verify(hash->c_str(), "other", 5), ARGON2_OK);
  // A fresh salt each time.
  setPassword(*p, "alice", password);
  EXPECT_NE(*stored("password:alice"), *hash);
}

TEST_F(BuiltinIdentity, TheDefaultCostIsTheOwaspMinimum) {
  auto p = load("{}");
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  // 19 MiB, two passes, one lane (OWASP's first Argon2id recommendation).
  EXPECT_EQ(stored("password:alice")->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u)
      << *stored("password:alice");
}

TEST_F(BuiltinIdentity, PasswordRulesAreEnforced) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  try {
    setPassword(*p, "alice", "short");
    FAIL() << "a short password was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("12"), std::string::npos) << e.what();
  }
  EXPECT_THROW(setPassword(*p, "alice", std::string(5000, 'x')), std::runtime_error);
  EXPECT_THROW(setPassword(*p, "", "a long enough password"), std::runtime_error);
  EXPECT_FALSE(stored("password:alice").has_value());
  // A configured minimum.
  auto strict = loadFast(", min_password_length: 20");
  EXPECT_THROW(setPassword(*strict, "bob", "nineteen characters"), std::runtime_error);
  setPassword(*strict, "bob", "twenty characters!!!");
}

TEST_F(BuiltinIdentity, AdministrationCommands) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  auto has = [&](const std::string& user) {
    return json::getBool(p->admin(command("has_password", {{"username", user}})), "present")
        .value_or(false);
  };
  EXPECT_FALSE(has("alice"));
  setPassword(*p, "alice", "correct horse battery");
  EXPECT_TRUE(has("ALICE"));
  p->admin(command("delete", {{"username", "alice"}}));
  EXPECT_FALSE(has("alice"));
  EXPECT_FALSE(signIn(*p, "alice", "correct horse battery").ok);
  EXPECT_THROW(p->admin(command("make_me_admin", {})), std::runtime_error);
  const auto caps = p->admin(command("capabilities", {}));
  EXPECT_EQ(json::getBool(caps, "magicLinks"), false);
}

TEST_F(BuiltinIdentity, TheLoginFormEscapesWhatItIsGiven) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  json::ObjectPtr context = json::makeObject();
  context->set("username", std::string("\"><script>alert(1)</script>"));
  const std::string html = p->loginForm(context);
  EXPECT_EQ(html.find("<script>"), std::string::npos) << html;
  EXPECT_NE(html.find("name=\"username\""), std::string::npos);
  EXPECT_NE(html.find("name=\"password\""), std::string::npos);
}

TEST_F(BuiltinIdentity, ACorruptStoredHashIsARefusalNotACrash) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  db_.execute("UPDATE plugin_kv SET value = '$argon2id$garbage' WHERE key = 'password:alice'");
  const auto r = signIn(*p, "alice", "correct horse battery");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "Invalid username or password.");
}

// ---- throttling --------------------------------------------------------------------------------

TEST_F(BuiltinIdentity, AnAccountIsThrottledAfterItsFailures) {
  auto p =
      loadFast(", throttle: {account_failures: 3, address_failures: 1000, window_seconds: 3600}");
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  setPassword(*p, "bob", "another good password");
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(signIn(*p, "alice", "wrong", "192.0.2." + std::to_string(i)).ok);
  // From anywhere, even with the right password.
  const auto blocked = signIn(*p, "Alice", "correct horse battery", "198.51.100.1");
  EXPECT_FALSE(blocked.ok);
  EXPECT_NE(blocked.message, "Invalid username or password.");
  EXPECT_NE(blocked.message.find("Too many"), std::string::npos) << blocked.message;
  // Other accounts are not affected.
  EXPECT_TRUE(signIn(*p, "bob", "another good password", "192.0.2.0").ok);
}

TEST_F(BuiltinIdentity, UnknownAccountsAreThrottledLikeKnownOnes) {
  auto p =
      loadFast(", throttle: {account_failures: 2, address_failures: 1000, window_seconds: 3600}");
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  std::vector<std::string> known;
  std::vector<std::string> unknown;
  for (int i = 0; i < 4; ++i) {
    known.push_back(signIn(*p, "alice", "wrong", "192.0.2.1").message);
    unknown.push_back(signIn(*p, "nobody", "wrong", "192.0.2.2").message);
  }
  EXPECT_EQ(known, unknown);
}

TEST_F(BuiltinIdentity, AnAddressIsThrottledAcrossAccounts) {
  auto p =
      loadFast(", throttle: {account_failures: 1000, address_failures: 4, window_seconds: 3600}");
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  for (int i = 0; i < 4; ++i) signIn(*p, "user" + std::to_string(i), "wrong", "203.0.113.5");
  const auto blocked = signIn(*p, "alice", "correct horse battery", "203.0.113.5");
  EXPECT_FALSE(blocked.ok);
  EXPECT_NE(blocked.message.find("Too many"), std::string::npos) << blocked.message;
  // The same account from another address is fine.
  EXPECT_TRUE(signIn(*p, "alice", "correct horse battery", "203.0.113.6").ok);
}

TEST_F(BuiltinIdentity, ASuccessClearsTheAccountsFailures) {
  auto p =
      loadFast(", throttle: {account_failures: 3, address_failures: 1000, window_seconds: 3600}");
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  for (int round = 0; round < 3; ++round) {
    EXPECT_FALSE(signIn(*p, "alice", "wrong").ok);
    EXPECT_FALSE(signIn(*p, "alice", "wrong").ok);
    EXPECT_TRUE(signIn(*p, "alice", "correct horse battery").ok) << "round " << round;
  }
}

TEST_F(BuiltinIdentity, ThrottlingEndsWhenTheWindowPasses) {
  auto p = loadFast(", throttle: {account_failures: 2, address_failures: 1000, window_seconds: 1}");
  ASSERT_TRUE(p);
  setPassword(*p, "alice", "correct horse battery");
  signIn(*p, "alice", "wrong");
  signIn(*p, "alice", "wrong");
  ASSERT_FALSE(signIn(*p, "alice", "correct horse battery").ok);
  const auto until = std::chrono::steady_clock::now() + 15s;
  bool ok = false;
  while (!ok && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
    ok = signIn(*p, "alice", "correct horse battery").ok;
  }
  EXPECT_TRUE(ok) << "still throttled long after the window";
}

// ---- sign-in links
// -------------------------------------------------------------------------------

class BuiltinMagicLinks : public BuiltinIdentity {
 protected:
  std::shared_ptr<oauth::IdentityProvider> loadWithMail(int port) {
    return loadFast(
        ", magic_link: {enabled: true, ttl_seconds: 60, subject: \"Sign in\", smtp: {host: "
        "127.0.0.1, port: " +
        std::to_string(port) + ", from: \"portcullis@example.com\"}}");
  }
  std::string send(oauth::IdentityProvider& p, const std::string& email = "alice@example.com") {
    json::ObjectPtr c = json::makeObject();
    c->set("command", std::string("send_magic_link"));
    c->set("username", std::string("alice"));
    c->set("email", email);
    c->set("link", std::string("http://127.0.0.1:8080/oauth/login/link?flow=f1"));
    p.admin(c);
    const auto mail = sink_.next();
    EXPECT_TRUE(mail.has_value()) << "no mail arrived";
    if (!mail) return "";
    std::smatch m;
    const std::regex re(R"re(/oauth/login/link\?flow=f1&token=([A-Za-z0-9_-]+))re");
    EXPECT_TRUE(std::regex_search(mail->data, m, re)) << mail->data;
    lastMail_ = *mail;
    return m.size() > 1 ? m[1].str() : "";
  }
  SmtpSink sink_;
  Mail lastMail_;
};

TEST_F(BuiltinMagicLinks, ALinkIsMailedAndSignsInOnce) {
  auto p = loadWithMail(sink_.port());
  ASSERT_TRUE(p);
  const std::string token = send(*p);
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(lastMail_.recipients.size(), 1u);
  EXPECT_NE(lastMail_.recipients[0].find("alice@example.com"), std::string::npos);
  EXPECT_NE(lastMail_.data.find("Subject: Sign in"), std::string::npos) << lastMail_.data;
  // Stored as a hash of the token, with an expiry.
  EXPECT_FALSE(stored("magic:" + token).has_value());
  const auto rows =
      db_.query("SELECT key, value, expires_at FROM plugin_kv WHERE key LIKE 'magic:%'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), "magic:" + common::sha256Hex(token));
  EXPECT_EQ(rows[0].text(1), "alice");
  EXPECT_FALSE(rows[0].isNull(2));
  EXPECT_LE(rows[0].integer(2), storage::nowMillis() + 60'000);
  EXPECT_GT(rows[0].integer(2), storage::nowMillis() + 50'000);

  const auto first = redeem(*p, token);
  EXPECT_TRUE(first.ok) << first.message;
  EXPECT_EQ(first.username, "alice");
  const auto second = redeem(*p, token);
  EXPECT_FALSE(second.ok);
  EXPECT_FALSE(second.message.empty());
}

TEST_F(BuiltinMagicLinks, AnExpiredLinkIsRefusedAndSpent) {
  auto p = loadWithMail(sink_.port());
  ASSERT_TRUE(p);
  const std::string token = send(*p);
  // Its time passes (the store's clock is the database's expires_at).
  db_.execute("UPDATE plugin_kv SET expires_at = ? WHERE key LIKE 'magic:%'",
              {Value(storage::nowMillis() - 1)});
  EXPECT_FALSE(redeem(*p, token).ok);
  db_.execute("UPDATE plugin_kv SET expires_at = NULL WHERE key LIKE 'magic:%'");
  EXPECT_FALSE(redeem(*p, token).ok) << "an expired link came back to life";
}

TEST_F(BuiltinMagicLinks, UnknownAndMalformedTokensAreRefused) {
  auto p = loadWithMail(sink_.port());
  ASSERT_TRUE(p);
  const std::string token = send(*p);
  for (const std::string& bad : std::vector<std::string>{
           "", "x", token + "x", token.substr(1), std::string(300, 'a'), std::string("\0", 1)}) {
    EXPECT_FALSE(redeem(*p, bad).ok);
  }
  EXPECT_TRUE(redeem(*p, token).ok) << "a wrong guess spent the real link";
}

TEST_F(BuiltinMagicLinks, ConcurrentRedemptionsOfOneLinkSignInOnce) {
  auto p = loadWithMail(sink_.port());
  ASSERT_TRUE(p);
  for (int round = 0; round < 10; ++round) {
    const std::string token = send(*p);
    std::atomic<int> successes{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&] {
        if (redeem(*p, token).ok) ++successes;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(successes.load(), 1) << "round " << round;
  }
}

TEST_F(BuiltinMagicLinks, AnAddressWithLineBreaksIsRefused) {
  auto p = loadWithMail(sink_.port());
  ASSERT_TRUE(p);
  json::ObjectPtr c = json::makeObject();
  c->set("command", std::string("send_magic_link"));
  c->set("username", std::string("alice"));
  c->set("email", std::string("alice@example.com\r\nRCPT TO:<attacker@evil.example>"));
  c->set("link", std::string("http://127.0.0.1:8080/oauth/login/link?flow=f1"));
  try {
    p->admin(c);
  } catch (const std::runtime_error&) {
  }
  const auto mail = sink_.next(2s);
  if (mail) {
    for (const auto& r : mail->recipients) EXPECT_EQ(r.find("attacker"), std::string::npos) << r;
    EXPECT_EQ(mail->data.find("attacker"), std::string::npos);
  }
  for (const auto& command : sink_.commands())
    EXPECT_EQ(command.find("attacker"), std::string::npos) << command;
}

TEST_F(BuiltinMagicLinks, AMailServerThatIsDownIsAClearError) {
  uint16_t closedPort = 0;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    closedPort = s.address().port();
  }
  auto p = loadWithMail(closedPort);
  ASSERT_TRUE(p);
  json::ObjectPtr c = json::makeObject();
  c->set("command", std::string("send_magic_link"));
  c->set("username", std::string("alice"));
  c->set("email", std::string("alice@example.com"));
  c->set("link", std::string("http://127.0.0.1:8080/oauth/login/link?flow=f1"));
  try {
    p->admin(c);
    FAIL() << "sending through a closed port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mail server"), std::string::npos) << e.what();
  }
}

TEST_F(BuiltinIdentity, SignInLinksNeedToBeEnabledAndNeedSmtp) {
  auto p = loadFast();
  ASSERT_TRUE(p);
  json::ObjectPtr c = json::makeObject();
  c->set("command", std::string("send_magic_link"));
  c->set("username", std::string("alice"));
  c->set("email", std::string("alice@example.com"));
  c->set("link", std::string("http://x/oauth/login/link?flow=f"));
  EXPECT_THROW(p->admin(c), std::runtime_error);
  std::string error;
  EXPECT_EQ(load("{magic_link: {enabled: true}}", &error), nullptr);
  EXPECT_NE(error.find("smtp"), std::string::npos) << error;
  // Unknown keys and out-of-range values are refused by the schema.
  EXPECT_EQ(load("{argon2: {memory_kib: 16}}", &error), nullptr);
  EXPECT_EQ(load("{passwords_in_clear: true}", &error), nullptr);
  EXPECT_EQ(load("{magic_link: {enabled: true, ttl_seconds: 5, smtp: {host: x}}}", &error),
            nullptr);
}

}  // namespace
}  // namespace portcullis::testing
