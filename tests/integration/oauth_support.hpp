#pragma once
// Helpers shared by the oauth_*_test.cpp suites: the gateway's database
// opened a second time (as the admin CLI does) to add users, API tokens and
// revocations, the WWW-Authenticate challenge taken apart, bounded waits
// for the change log to reach the server, and a browser over real HTTP with
// a cookie jar.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "core/oauth/api_token_store.hpp"
#include "core/oauth/grant_store.hpp"
#include "core/oauth/http.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"
#include "tests/integration/http_support.hpp"

namespace portcullis::testing::oauth_it {

using namespace std::chrono_literals;
using http::object;
namespace json = common::json;

// The server's database, opened beside it the way `portcullis users ...`
// and `portcullis tokens ...` open it.
class Store {
 public:
  explicit Store(const TestGateway& gateway)
      : db(storage::StorageOptions{gateway.dataDir() + "/portcullis.db"}),
        users(db),
        apiTokens(db),
        grants(db) {}

  oauth::User user(const std::string& name, const std::string& role = "member") {
    return users.create(name, name + "@example.com", role, "builtin");
  }
  // An API token for `user` with `scope`; returns the bearer value.
  std::string apiToken(const oauth::User& user, const std::string& scope, std::string* id = nullptr,
                       std::chrono::milliseconds ttl = std::chrono::hours(1)) {
    oauth::ApiToken record;
    const std::string token = apiTokens.create(user.id, scope, ttl, "test", record);
    if (id) *id = record.id;
    return token;
  }

  storage::Database db;
  oauth::UserDirectory users;
  oauth::ApiTokenStore apiTokens;
  oauth::GrantStore grants;
};

inline Headers bearer(const std::string& token, Headers extra = {}) {
  extra.emplace_back("Authorization", "Bearer " + token);
  return extra;
}

// `Bearer a="b", c="d"` → {a: b, c: d}; "scheme" holds the scheme.
inline std::map<std::string, std::string> challengeParams(const std::string& header) {
  std::map<std::string, std::string> out;
  const size_t space = header.find(' ');
  out["scheme"] = header.substr(0, space);
  const std::regex re(R"re(([A-Za-z_]+)="([^"]*)")re");
  for (auto it = std::sregex_iterator(header.begin(), header.end(), re);
       it != std::sregex_iterator(); ++it) {
    out[(*it)[1].str()] = (*it)[2].str();
  }
  return out;
}

// Polls `condition` until it holds or the bound passes (the change log is
// read a few times a second).
template <typename F>
bool eventually(F condition, std::chrono::milliseconds bound = 15s) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

inline std::string toolsList(const std::string& id = "1") {
  return http::rpcRequest(id, "tools/list");
}

// A modern (stateless) MCP request with a bearer token.
inline HttpResult mcp(uint16_t port, const std::string& token, const std::string& method,
                      const std::string& params = "{}",
                      const std::optional<std::string>& name = std::nullopt) {
  Headers headers = http::modernHeaders(method, name);
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return request(port, "POST", "/mcp", headers, http::modernRequest("1", method, params));
}

inline std::string formEncode(const oauth::Pairs& pairs) {
  std::string out;
  for (const auto& [n, v] : pairs)
    out += (out.empty() ? "" : "&") + oauth::formEncode(n) + "=" + oauth::formEncode(v);
  return out;
}

inline std::optional<std::string> hiddenField(const std::string& html, const std::string& name) {
  const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(html, m, re)) return std::nullopt;
  return m[1].str();
}

inline oauth::Pairs queryOf(const std::string& url) {
  oauth::Pairs out;
  const size_t q = url.find('?');
  if (q != std::string::npos) oauth::parseForm(url.substr(q + 1), out);
  return out;
}

inline std::optional<std::string> param(const oauth::Pairs& pairs, const std::string& name) {
  for (const auto& [n, v] : pairs) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// A browser over real HTTP: keeps cookies, never follows redirects itself.
class Browser {
 public:
  explicit Browser(uint16_t port) : port_(port) {}

  HttpResult get(const std::string& pathAndQuery, Headers headers = {}) {
    return send("GET", pathAndQuery, std::move(headers), "");
  }
  HttpResult post(const std::string& path, const oauth::Pairs& fields, Headers headers = {}) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return send("POST", path, std::move(headers), formEncode(fields));
  }
  std::map<std::string, std::string> cookies;
  std::vector<std::string> setCookies;

 private:
  HttpResult send(const std::string& method, const std::string& path, Headers headers,
                  const std::string& body) {
    std::string cookie;
    for (const auto& [n, v] : cookies) cookie += (cookie.empty() ? "" : "; ") + n + "=" + v;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    HttpResult r = request(port_, method, path, headers, body);
    for (const auto& [n, v] : r.headers) {
      if (!common::iequals(n, "Set-Cookie")) continue;
      setCookies.push_back(v);
      const std::string pair = v.substr(0, v.find(';'));
      cookies[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
    }
    return r;
  }
  uint16_t port_;
};

}  // namespace portcullis::testing::oauth_it
