#include "mailer.hpp"

#include <mutex>

#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureSMTPClientSession.h>

namespace builtin {

SmtpSettings SmtpSettings::fromConfig(const portcullis::sdk::Json& config) {
  SmtpSettings s;
  s.host = config.value("host", s.host);
  s.port = config.value("port", s.port);
  s.username = config.value("username", s.username);
  s.password = config.value("password", s.password);
  s.from = config.value("from", s.from);
  s.starttls = config.value("starttls", s.starttls);
  return s;
}

void sendMail(const SmtpSettings& smtp, const std::string& to, const std::string& subject, const std::string& body) {
  Poco::Net::MailMessage message;
  message.setSender(smtp.from);
  message.addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, to));
  message.setSubject(subject);
  message.setContentType("text/plain; charset=UTF-8");
  message.setContent(body, Poco::Net::MailMessage::ENCODING_8BIT);
  try {
    if (smtp.starttls) {
      Poco::Net::SecureSMTPClientSession session(smtp.host, static_cast<Poco::UInt16>(smtp.port));
      session.setTimeout(Poco::Timespan(smtp.timeoutSeconds, 0));
      session.login();
      static std::once_flag initialized;
      std::call_once(initialized, [] { Poco::Net::initializeSSL(); });
      // The mail server's certificate is checked against the system's CAs.
      Poco::Net::Context::Params params;
      params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
      params.loadDefaultCAs = true;
      Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      session.startTLS(context);
      if (!smtp.username.empty()) {
        session.login(Poco::Net::SMTPClientSession::AUTH_LOGIN, smtp.username, smtp.password);
      }
      session.sendMessage(message);
      session.close();
    } else {
      Poco::Net::SMTPClientSession session(smtp.host, static_cast<Poco::UInt16>(smtp.port));
      session.setTimeout(Poco::Timespan(smtp.timeoutSeconds, 0));
      if (smtp.username.empty()) {
        session.login();
      } else {
        session.login(Poco::Net::SMTPClientSession::AUTH_LOGIN, smtp.username, smtp.password);
      }
      session.sendMessage(message);
      session.close();
    }
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("the mail server refused the message: " + e.displayText());
  }
}

}  // namespace builtin
