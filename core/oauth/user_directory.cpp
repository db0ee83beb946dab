#include "core/oauth/user_directory.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/common/json.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/change_log.hpp"

namespace portcullis::oauth {

namespace json = common::json;
using storage::Value;

namespace {

constexpr const char* kColumns =
    "id, username, email, name, role, groups_json, provider, disabled, created_at, last_login_at";

User fromRow(const storage::Row& r) {
  User u;
  u.id = r.text(0);
  u.username = r.text(1);
  u.email = r.text(2);
  u.name = r.text(3);
  u.role = r.text(4);
  try {
    if (auto groups = json::asArray(json::parse(r.text(5)))) {
      for (const auto& g : *groups) {
        if (json::isString(g)) u.groups.push_back(g.extract<std::string>());
      }
    }
  } catch (const json::ParseError&) {
  }
  u.provider = r.text(6);
  u.disabled = r.integer(7) != 0;
  u.createdAt = r.integer(8);
  u.lastLoginAt = r.optionalInteger(9);
  return u;
}

}  // namespace

bool UserDirectory::validUsername(const std::string& username) {
  return !username.empty() && username.size() <= 64 &&
         std::all_of(username.begin(), username.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-' || c == '@';
         });
}

bool UserDirectory::validEmail(const std::string& email) {
  // Deliberately loose (the provider decides what it can mail), but never
  // anything that could break a mail header or a page: no spaces, no
  // control characters, one @ with something on each side.
  const size_t at = email.find('@');
  return email.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string::npos &&
         std::none_of(email.begin(), email.end(), [](unsigned char c) {
           return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';';
         });
}

bool UserDirectory::validRole(const std::string& role) {
  return !role.empty() && role.size() <= 64 && std::all_of(role.begin(), role.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-';
  });
}

User UserDirectory::create(const std::string& username, const std::string& email, const std::string& role,
                           const std::string& provider) {
  const std::string name = common::toLower(username);
  if (!validUsername(name)) {
    throw std::invalid_argument("a username is 1 to 64 letters, digits, '.', '_', '-' or '@'");
  }
  if (!validRole(role)) throw std::invalid_argument("a role is 1 to 64 letters, digits, '_' or '-'");
  if (!email.empty() && !validEmail(email)) throw std::invalid_argument("the e-mail address is not valid");
  if (byUsername(name)) throw std::invalid_argument("the user " + name + " already exists");
  User u;
  u.id = "u_" + common::randomToken(12);
  u.username = name;
  u.email = email;
  u.role = role;
  u.provider = provider;
  u.createdAt = storage::nowMillis();
  db_.write([&](storage::Connection& c) {
    c.execute("INSERT INTO users (id, username, email, name, role, groups_json, provider, disabled, created_at) "
              "VALUES (?, ?, ?, ?, ?, '[]', ?, 0, ?)",
              {Value(u.id), Value(u.username), email.empty() ? Value() : Value(email), Value(), Value(role),
               Value(provider), Value(u.createdAt)});
    recordChange(c, change_kind::kUser, u.id);
  });
  return u;
}

std::optional<User> UserDirectory::one(const std::string& where, const Value& value) {
  const auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM users WHERE " + where, {value});
  if (rows.empty()) return std::nullopt;
  return fromRow(rows.front());
}

std::optional<User> UserDirectory::byId(const std::string& id) { return one("id = ?", Value(id)); }

std::optional<User> UserDirectory::byUsername(const std::string& username) {
  return one("username = ?", Value(common::toLower(username)));
}

std::optional<User> UserDirectory::byEmail(const std::string& email) {
  if (email.empty()) return std::nullopt;
  return one("LOWER(email) = ?", Value(common::toLower(email)));
}

std::vector<User> UserDirectory::list() {
  std::vector<User> out;
  for (const auto& row : db_.query(std::string("SELECT ") + kColumns + " FROM users ORDER BY username")) {
    out.push_back(fromRow(row));
  }
  return out;
}

size_t UserDirectory::count() {
  const auto rows = db_.query("SELECT COUNT(*) FROM users");
  return rows.empty() ? 0 : static_cast<size_t>(rows.front().integer(0));
}

bool UserDirectory::setRole(const std::string& username, const std::string& role) {
  if (!validRole(role)) throw std::invalid_argument("a role is 1 to 64 letters, digits, '_' or '-'");
  auto user = byUsername(username);
  if (!user) return false;
  db_.write([&](storage::Connection& c) {
    c.execute("UPDATE users SET role = ? WHERE id = ?", {Value(role), Value(user->id)});
    recordChange(c, change_kind::kUser, user->id);
  });
  return true;
}

bool UserDirectory::setDisabled(const std::string& username, bool disabled) {
  auto user = byUsername(username);
  if (!user) return false;
  db_.write([&](storage::Connection& c) {
    c.execute("UPDATE users SET disabled = ? WHERE id = ?", {Value(static_cast<int64_t>(disabled ? 1 : 0)), Value(user->id)});
    recordChange(c, change_kind::kUser, user->id);
  });
  return true;
}

void UserDirectory::remove(const std::string& id) {
  db_.write([&](storage::Connection& c) {
    c.execute("DELETE FROM users WHERE id = ?", {Value(id)});
    recordChange(c, change_kind::kUser, id);
  });
}

void UserDirectory::touchLogin(const std::string& id) {
  db_.execute("UPDATE users SET last_login_at = ? WHERE id = ?", {Value(storage::nowMillis()), Value(id)});
}

}  // namespace portcullis::oauth
