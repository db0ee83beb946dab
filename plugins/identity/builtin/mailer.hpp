#pragma once
// Sends the sign-in link e-mail over SMTP (Poco::Net::SMTPClientSession).

#include <string>

#include <portcullis/sdk.hpp>

namespace builtin {

struct SmtpSettings {
  std::string host = "127.0.0.1";
  int port = 25;
  std::string username;
  std::string password;
  std::string from = "portcullis@localhost";
  bool starttls = false;
  int timeoutSeconds = 10;

  static SmtpSettings fromConfig(const portcullis::sdk::Json& config);
};

// Throws std::runtime_error with a readable reason when sending fails.
void sendMail(const SmtpSettings& smtp, const std::string& to, const std::string& subject,
              const std::string& body);

}  // namespace builtin
