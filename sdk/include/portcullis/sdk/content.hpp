#pragma once
// Builders for MCP content blocks and results, so handlers read as what they return.

#include <string>

#include "portcullis/sdk/errors.hpp"

namespace portcullis::sdk {

inline Json textBlock(const std::string& text) { return Json{{"type", "text"}, {"text", text}}; }

inline Json imageBlock(const std::string& base64, const std::string& mimeType) {
  return Json{{"type", "image"}, {"data", base64}, {"mimeType", mimeType}};
}

inline Json audioBlock(const std::string& base64, const std::string& mimeType) {
  return Json{{"type", "audio"}, {"data", base64}, {"mimeType", mimeType}};
}

inline Json embeddedText(const std::string& uri, const std::string& mimeType,
                         const std::string& text) {
  return Json{{"type", "resource"},
              {"resource", {{"uri", uri}, {"mimeType", mimeType}, {"text", text}}}};
}

// A CallToolResult with one text block.
inline Json textResult(const std::string& text) {
  return Json{{"content", Json::array({textBlock(text)})}};
}

// A CallToolResult that reports a failure the model can read.
inline Json errorResult(const std::string& text) {
  return Json{{"content", Json::array({textBlock(text)})}, {"isError", true}};
}

// A ReadResourceResult with one text item.
inline Json textContents(const std::string& uri, const std::string& mimeType,
                         const std::string& text) {
  return Json{{"contents", Json::array({{{"uri", uri}, {"mimeType", mimeType}, {"text", text}}})}};
}

// A ReadResourceResult with one binary item.
inline Json blobContents(const std::string& uri, const std::string& mimeType,
                         const std::string& base64) {
  return Json{{"contents", Json::array({{{"uri", uri}, {"mimeType", mimeType}, {"blob", base64}}})}};
}

// A PromptMessage.
inline Json message(const std::string& role, Json content) {
  return Json{{"role", role}, {"content", std::move(content)}};
}

// An interim result of a multi round-trip request: the client gathers each
// input and retries the request with "inputResponses" (and "requestState").
inline Json inputRequired(Json inputRequests, const std::string& requestState = {}) {
  Json result{{"resultType", "input_required"}, {"inputRequests", std::move(inputRequests)}};
  if (!requestState.empty()) result["requestState"] = requestState;
  return result;
}

}  // namespace portcullis::sdk
