// Sealed requestState for multi round-trip requests (core/mcp/request_state.hpp).

#include "core/mcp/request_state.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/common/text.hpp"

namespace portcullis::mcp {
namespace {

namespace json = common::json;
using std::chrono::seconds;

json::ObjectPtr payload() {
  return json::parseObject(
      R"({"for":"tools/call ask","answers":{"portcullis/0":{"action":"accept"}}})");
}

// Replaces one character of text at pos with a different one from the same
// base64url alphabet.
std::string flip(std::string text, size_t pos) {
  text[pos] = text[pos] == 'A' ? 'B' : 'A';
  return text;
}

TEST(RequestStateSealer, RoundTrip) {
  const RequestStateSealer sealer;
  const std::string token = sealer.seal(payload(), seconds(60));
  json::ObjectPtr opened = sealer.open(token);
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(json::stringify(opened), json::stringify(payload()));
}

TEST(RequestStateSealer, TokenIsRecognisableAndHeaderSafe) {
  const RequestStateSealer sealer;
  const std::string token = sealer.seal(payload(), seconds(60));
  EXPECT_TRUE(RequestStateSealer::looksSealed(token));
  EXPECT_TRUE(common::isHeaderSafe(token));
  EXPECT_EQ(token.find(' '), std::string::npos);
}

TEST(RequestStateSealer, ForeignTokensDoNotLookSealed) {
  EXPECT_FALSE(RequestStateSealer::looksSealed("opaque-provider-state"));
  EXPECT_FALSE(RequestStateSealer::looksSealed(""));
  EXPECT_FALSE(RequestStateSealer::looksSealed("pcs2.abc.def"));
}

TEST(RequestStateSealer, TamperedBodyIsRejected) {
  const RequestStateSealer sealer;
  const std::string token = sealer.seal(payload(), seconds(60));
  const size_t bodyStart = std::string("pcs1.").size();
  for (size_t pos : {bodyStart, bodyStart + 10, token.find('.', bodyStart) - 1}) {
    EXPECT_EQ(sealer.open(flip(token, pos)), nullptr) << pos;
  }
}

TEST(RequestStateSealer, TamperedMacIsRejected) {
  const RequestStateSealer sealer;
  const std::string token = sealer.seal(payload(), seconds(60));
  const size_t macStart = token.rfind('.') + 1;
  EXPECT_EQ(sealer.open(flip(token, macStart)), nullptr);
  EXPECT_EQ(sealer.open(token.substr(0, token.size() - 1)), nullptr);
  EXPECT_EQ(sealer.open(token + "A"), nullptr);
  EXPECT_EQ(sealer.open(token.substr(0, macStart)), nullptr);
}

TEST(RequestStateSealer, ForgedBodyWithoutTheKeyIsRejected) {
  const RequestStateSealer sealer;
  const std::string token = sealer.seal(payload(), seconds(60));
  const std::string forgedBody = common::base64UrlEncode(
      R"({"exp":99999999999,"p":{"for":"tools/call ask","answers":{"portcullis/0":{"action":"decline"}}}})");
  const std::string mac = token.substr(token.rfind('.') + 1);
  EXPECT_EQ(sealer.open("pcs1." + forgedBody + "." + mac), nullptr);
}

TEST(RequestStateSealer, TokenOfAnotherSealerIsRejected) {
  const RequestStateSealer mine;
  const RequestStateSealer theirs;
  EXPECT_EQ(mine.open(theirs.seal(payload(), seconds(60))), nullptr);
}

TEST(RequestStateSealer, ForeignPrefixIsRejected) {
  const RequestStateSealer sealer;
  const std::string token = sealer.seal(payload(), seconds(60));
  EXPECT_EQ(sealer.open("xyz1." + token.substr(5)), nullptr);
  EXPECT_EQ(sealer.open(token.substr(5)), nullptr);
}

TEST(RequestStateSealer, MalformedTokensAreRejected) {
  const RequestStateSealer sealer;
  for (const char* token :
       {"", "pcs1.", "pcs1..", "pcs1.abc", "pcs1.abc.", "pcs1..abc", "pcs1.!!!.???"}) {
    EXPECT_EQ(sealer.open(token), nullptr) << token;
  }
}

TEST(RequestStateSealer, ExpiredTokenIsRejected) {
  const RequestStateSealer sealer;
  EXPECT_EQ(sealer.open(sealer.seal(payload(), seconds(-10))), nullptr);
}

}  // namespace
}  // namespace portcullis::mcp
