// The built-in identity provider: usernames and passwords, hashed with
// Argon2id and kept in the plugin's store in the server's database, with
// sign-in throttling per account and per address, and optional single-use
// sign-in links sent by e-mail. The server keeps the users themselves
// (names, e-mail addresses, roles); this plugin only checks credentials.

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <portcullis/sdk.hpp>
#include <portcullis/sdk/text.hpp>

#include "mailer.hpp"

using namespace portcullis::sdk;

namespace {

constexpr const char* kConfigSchema = R"JSON({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "min_password_length": {"type": "integer", "minimum": 8, "maximum": 1024},
    "argon2": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "time_cost": {"type": "integer", "minimum": 1, "maximum": 20},
        "memory_kib": {"type": "integer", "minimum": 8192, "maximum": 1048576},
        "parallelism": {"type": "integer", "minimum": 1, "maximum": 16}
      }
    },
    "throttle": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "account_failures": {"type": "integer", "minimum": 1, "maximum": 1000},
        "address_failures": {"type": "integer", "minimum": 1, "maximum": 100000},
        "window_seconds": {"type": "integer", "minimum": 1, "maximum": 86400}
      }
    },
    "magic_link": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "enabled": {"type": "boolean"},
        "ttl_seconds": {"type": "integer", "minimum": 60, "maximum": 86400},
        "subject": {"type": "string"},
        "smtp": {
          "type": "object",
          "additionalProperties": false,
          "required": ["host"],
          "properties": {
            "host": {"type": "string", "minLength": 1},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "username": {"type": "string"},
            "password": {"type": "string"},
            "from": {"type": "string", "minLength": 3},
            "starttls": {"type": "boolean"}
          }
        }
      }
    }
  }
})JSON";

constexpr const char* kDenied = "Invalid username or password.";
constexpr const char* kThrottled = "Too many sign-in attempts. Try again later.";

std::string randomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (unsigned char c : raw) out += kAlphabet[c & 63];
  return out;
}

std::string sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// An address that can go into RCPT TO:<...> and a To: header as it is: no
// line breaks or other control characters, no angle brackets.
bool mailable(const std::string& address) {
  if (address.size() < 3 || address.size() > 254 || address.find('@') == std::string::npos) return false;
  for (unsigned char c : address) {
    if (c < 0x21 || c == 0x7F || c == '<' || c == '>' || c == ',' || c == ';') return false;
  }
  return true;
}


// Failures per key in a sliding window; a key with too many is refused
// until its oldest failure leaves the window.
class Throttle {
 public:
  Throttle(size_t limit, std::chrono::seconds window) : limit_(limit), window_(window) {}

  bool blocked(const std::string& key) {
    std::lock_guard lock(mutex_);
    return prune(key) >= limit_;
  }
  void fail(const std::string& key) {
    std::lock_guard lock(mutex_);
    prune(key);
    auto& times = failures_[key];
    times.push_back(Clock::now());
    // Only the latest `limit` failures decide; older ones need no memory.
    while (times.size() > limit_) times.pop_front();
    if (failures_.size() > kMaxKeys) shed();
  }
  void reset(const std::string& key) {
    std::lock_guard lock(mutex_);
    failures_.erase(key);
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxKeys = 100'000;

  // Bounded memory under a flood of distinct names or addresses, without
  // forgetting who is blocked: first what left the window, then the keys
  // that are not blocked.
  void shed() {
    const auto cutoff = Clock::now() - window_;
    for (auto it = failures_.begin(); it != failures_.end();) {
      while (!it->second.empty() && it->second.front() < cutoff) it->second.pop_front();
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    for (auto it = failures_.begin(); it != failures_.end() && failures_.size() > kMaxKeys / 2;) {
      it = it->second.size() < limit_ ? failures_.erase(it) : std::next(it);
    }
  }

  size_t prune(const std::string& key) {
    auto it = failures_.find(key);
    if (it == failures_.end()) return 0;
    const auto cutoff = Clock::now() - window_;
    while (!it->second.empty() && it->second.front() < cutoff) it->second.pop_front();
    const size_t n = it->second.size();
    if (n == 0) failures_.erase(it);
    return n;
  }

  const size_t limit_;
  const std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;
};

class Builtin : public IdentityProvider {
 public:
  Builtin(const Json& config, Host host)
      : IdentityProvider(host),
        minPasswordLength_(config.value("min_password_length", 12)),
        timeCost_(config.value("/argon2/time_cost"_json_pointer, 2)),
        memoryKiB_(config.value("/argon2/memory_kib"_json_pointer, 19 * 1024)),
        parallelism_(config.value("/argon2/parallelism"_json_pointer, 1)),
        accounts_(config.value("/throttle/account_failures"_json_pointer, 5),
                  std::chrono::seconds(config.value("/throttle/window_seconds"_json_pointer, 900))),
        addresses_(config.value("/throttle/address_failures"_json_pointer, 50),
                   std::chrono::seconds(config.value("/throttle/window_seconds"_json_pointer, 900))),
        magicLinks_(config.value("/magic_link/enabled"_json_pointer, false)),
        magicTtlSeconds_(config.value("/magic_link/ttl_seconds"_json_pointer, 900)),
        magicSubject_(config.value("/magic_link/subject"_json_pointer, std::string("Your sign-in link"))),
        smtp_(builtin::SmtpSettings::fromConfig(config.value("/magic_link/smtp"_json_pointer, Json::object()))) {
    if (magicLinks_ && !config.contains("/magic_link/smtp"_json_pointer)) {
      throw std::runtime_error("magic_link.enabled needs magic_link.smtp");
    }
    // A hash to verify against when the user does not exist, so an unknown
    // user costs the same time as a wrong password.
    decoy_ = hash(randomToken(24));
  }

  std::string loginForm(const Json& context) override {
    std::string html =
        "<label for=\"username\">Username</label>\n"
        "<input id=\"username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" "
        "spellcheck=\"false\" required value=\"" +
        htmlEscape(context.value("username", std::string())) +
        "\">\n"
        "<label for=\"password\">Password</label>\n"
        "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n";
    if (magicLinks_) {
      html +=
          "<details class=\"alt\"><summary>Sign in with a link instead</summary>\n"
          "<label for=\"email\">E-mail address</label>\n"
          "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\">\n"
          "<button type=\"submit\" name=\"action\" value=\"magic\" formnovalidate>E-mail me a sign-in link</button>\n"
          "</details>\n";
    }
    return html;
  }

  Json authenticate(const Json& fields) override {
    if (fields.contains("magic_token")) return redeemLink(fields.value("magic_token", std::string()));
    const std::string username = fields.value("username", std::string());
    const std::string password = fields.value("password", std::string());
    const std::string address = fields.value("client_address", std::string("unknown"));
    const std::string account = toLower(username);
    if (username.empty() || password.empty() || username.size() > 256 || password.size() > 4096) {
      return denied(kDenied);
    }
    // Unknown accounts are throttled like known ones, so the answer gives
    // nothing away.
    if (accounts_.blocked(account) || addresses_.blocked(address)) return denied(kThrottled);
    const auto stored = host().storeGet("password:" + account);
    const bool valid = argon2id_verify(stored ? stored->c_str() : decoy_.c_str(), password.data(),
                                       password.size()) == ARGON2_OK &&
                       stored.has_value();
    if (!valid) {
      accounts_.fail(account);
      addresses_.fail(address);
      return denied(kDenied);
    }
    accounts_.reset(account);
    return Json{{"status", "ok"}, {"username", account}};
  }

  Json admin(const Json& command) override {
    const std::string name = command.value("command", std::string());
    const std::string account = toLower(command.value("username", std::string()));
    if (name == "set_password") {
      const std::string password = command.value("password", std::string());
      if (account.empty()) throw RpcError(codes::kInvalidParams, "a username is required");
      if (password.size() < static_cast<size_t>(minPasswordLength_)) {
        throw RpcError(codes::kInvalidParams,
                       "the password must be at least " + std::to_string(minPasswordLength_) + " characters");
      }
      if (password.size() > 4096) throw RpcError(codes::kInvalidParams, "the password is too long");
      if (!host().storePut("password:" + account, hash(password))) {
        throw RpcError(codes::kInternalError, "the password could not be stored");
      }
      return Json::object();
    }
    if (name == "delete") {
      host().storeDelete("password:" + account);
      return Json::object();
    }
    if (name == "has_password") return Json{{"present", host().storeGet("password:" + account).has_value()}};
    if (name == "send_magic_link") return sendLink(account, command);
    if (name == "capabilities") return Json{{"magicLinks", magicLinks_}, {"passwords", true}};
    throw RpcError(codes::kMethodNotFound, "unknown command: " + name);
  }

 private:
  static Json denied(const std::string& message) { return Json{{"status", "denied"}, {"message", message}}; }

  std::string hash(const std::string& password) const {
    std::string salt(16, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
    const size_t length = argon2_encodedlen(timeCost_, memoryKiB_, parallelism_, salt.size(), 32, Argon2_id);
    std::string encoded(length, '\0');
    const int rc = argon2id_hash_encoded(timeCost_, memoryKiB_, parallelism_, password.data(), password.size(),
                                         salt.data(), salt.size(), 32, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
    encoded.resize(std::strlen(encoded.c_str()));
    return encoded;
  }

  Json sendLink(const std::string& account, const Json& command) {
    if (!magicLinks_) throw RpcError(codes::kInvalidParams, "sign-in links are not enabled");
    const std::string email = command.value("email", std::string());
    const std::string link = command.value("link", std::string());
    if (account.empty() || email.empty() || link.empty()) {
      throw RpcError(codes::kInvalidParams, "username, email and link are required");
    }
    if (!mailable(email)) throw RpcError(codes::kInvalidParams, "the e-mail address cannot be used");
    const std::string token = randomToken(32);
    host().storePut("magic:" + sha256Hex(token), account, static_cast<int64_t>(magicTtlSeconds_) * 1000);
    const std::string url = link + (link.find('?') == std::string::npos ? "?" : "&") + "token=" + token;
    builtin::sendMail(smtp_, email, magicSubject_,
                      "Use this link to sign in. It works once, within " + std::to_string(magicTtlSeconds_ / 60) +
                          " minutes:\n\n" + url +
                          "\n\nIf you did not ask to sign in, ignore this message.\n");
    return Json{{"sent", true}};
  }

  Json redeemLink(const std::string& token) {
    if (token.empty() || token.size() > 256) return denied("This sign-in link is not valid.");
    const std::string key = "magic:" + sha256Hex(token);
    // Single use: gone before the answer, whatever the answer; one
    // redemption at a time, so two requests cannot both read it first.
    std::lock_guard lock(redeemMutex_);
    const auto account = host().storeGet(key);
    host().storeDelete(key);
    if (!account) return denied("This sign-in link is not valid or has expired.");
    return Json{{"status", "ok"}, {"username", *account}};
  }

  const int minPasswordLength_;
  const uint32_t timeCost_;
  const uint32_t memoryKiB_;
  const uint32_t parallelism_;
  Throttle accounts_;
  Throttle addresses_;
  const bool magicLinks_;
  const int magicTtlSeconds_;
  const std::string magicSubject_;
  const builtin::SmtpSettings smtp_;
  std::string decoy_;
  std::mutex redeemMutex_;
};

}  // namespace

PORTCULLIS_IDENTITY_PLUGIN(Builtin, "builtin", "1.0.0", kConfigSchema)
