#pragma once
// The users the server knows: who they are and which role they hold. An
// identity provider says who signed in; the directory says what that
// account is. Changes are written to the change log so running servers
// pick them up.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/storage/database.hpp"

namespace portcullis::oauth {

struct User {
  std::string id;
  std::string username;
  std::string email;
  std::string name;
  std::string role;  // "admin", "member" or a custom role
  std::vector<std::string> groups;
  std::string provider;
  bool disabled = false;
  int64_t createdAt = 0;
  std::optional<int64_t> lastLoginAt;
};

class UserDirectory {
 public:
  explicit UserDirectory(storage::Database& db) : db_(db) {}

  // Throws std::invalid_argument for a taken or malformed username.
  User create(const std::string& username, const std::string& email, const std::string& role,
              const std::string& provider);
  std::optional<User> byId(const std::string& id);
  std::optional<User> byUsername(const std::string& username);
  std::optional<User> byEmail(const std::string& email);
  std::vector<User> list();
  size_t count();

  bool setRole(const std::string& username, const std::string& role);
  bool setDisabled(const std::string& username, bool disabled);
  // Undoes create() when the rest of adding a user failed.
  void remove(const std::string& id);
  void touchLogin(const std::string& id);

  static bool validUsername(const std::string& username);
  static bool validRole(const std::string& role);
  static bool validEmail(const std::string& email);

 private:
  std::optional<User> one(const std::string& where, const storage::Value& value);

  storage::Database& db_;
};

}  // namespace portcullis::oauth
