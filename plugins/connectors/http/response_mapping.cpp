#include "response_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include <portcullis/sdk/content.hpp>
#include <portcullis/sdk/text.hpp>

namespace portcullis::http {

namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::string statusLine(const IncomingResponse& r) {
  std::string line = "HTTP " + std::to_string(r.status);
  if (!r.reason.empty()) line += " " + r.reason;
  return line;
}

// The body as text the client can show: binary bodies are described, not sent.
std::string bodyText(const IncomingResponse& r, size_t limit) {
  if (!isUtf8(r.body)) {
    return "(" + std::to_string(r.body.size()) + " bytes of binary content" +
           (r.contentType.empty() ? std::string() : ", " + r.contentType) + ")";
  }
  if (r.body.size() <= limit) return r.body;
  // Cut on a character boundary so the quote stays valid UTF-8.
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(r.body[cut]) & 0xC0) == 0x80) --cut;
  return r.body.substr(0, cut) + "... (" + std::to_string(r.body.size()) + " bytes in all)";
}

}  // namespace

bool isJsonMediaType(std::string_view contentType) {
  const std::string type = sdk::toLower(trim(contentType.substr(0, contentType.find(';'))));
  if (type == "application/json") return true;
  const auto slash = type.find('/');
  return slash != std::string::npos && type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0;
}

bool isUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    size_t extra;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
    static const uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

Json mapResponse(const IncomingResponse& response, ResponseMode mode) {
  if (response.status < 200 || response.status > 299) {
    std::string text = statusLine(response);
    if (!response.body.empty()) text += ": " + bodyText(response, kErrorBodyQuote);
    return sdk::errorResult(text);
  }
  if (response.body.empty()) return sdk::textResult(statusLine(response) + " (no content)");
  const std::string text = bodyText(response, response.body.size());
  Json result = sdk::textResult(text);
  if (mode != ResponseMode::Text && isJsonMediaType(response.contentType)) {
    Json parsed = Json::parse(response.body, nullptr, false);
    if (!parsed.is_discarded()) {
      result["structuredContent"] = parsed.is_object() ? std::move(parsed) : Json{{"result", std::move(parsed)}};
    }
  }
  return result;
}

}  // namespace portcullis::http
