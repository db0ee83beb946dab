#include "linked_account.hpp"

#include <stdexcept>

#include "transport.hpp"

namespace portcullis::mcp_upstream {

void linkAccounts(Settings& settings, const sdk::Host& host) {
  if (!settings.userOAuth) return;
  try {
    host.declareAccount(*settings.userOAuth);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("auth.user_oauth: ") + e.what());
  }
  settings.credentials = std::make_shared<LinkedAccountCredentials>(host);
}

std::string LinkedAccountCredentials::authorization() {
  sdk::AccountToken token;
  try {
    token = host_.catalogAccountToken(refreshNext_.exchange(false));
  } catch (const sdk::RpcError& e) {
    throw UpstreamError(e.what());
  }
  if (token.status == sdk::AccountToken::Status::LinkRequired) {
    throw UpstreamError("no user has linked an account at the upstream yet (link one at " + token.linkUrl + ")");
  }
  return "Bearer " + token.token;
}

bool opensUrls(const sdk::Call& call) {
  const sdk::Json info = call.info();
  const sdk::Json* capabilities = info.contains("clientCapabilities") ? &info["clientCapabilities"] : nullptr;
  if (capabilities == nullptr || !capabilities->is_object() || !capabilities->contains("elicitation")) return false;
  const sdk::Json& elicitation = (*capabilities)["elicitation"];
  return elicitation.is_object() && elicitation.contains("url");
}

sdk::RpcError urlElicitationRequired(const LinkRequired& link, const std::string& message) {
  sdk::Json data{{"elicitations",
                  sdk::Json::array({{{"mode", "url"},
                                     {"elicitationId", "link:" + link.url},
                                     {"url", link.url},
                                     {"message", message}}})}};
  return sdk::RpcError(sdk::codes::kUrlElicitationRequired, message, std::move(data));
}

}  // namespace portcullis::mcp_upstream
