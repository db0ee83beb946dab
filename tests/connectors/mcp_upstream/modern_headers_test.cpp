#include <gtest/gtest.h>

#include "modern_headers.hpp"

using namespace portcullis::mcp_upstream;

TEST(ModernHeaders, MethodAndName) {
  auto h = modernHeaders("tools/call", Json{{"name", "echo"}}, Json());
  EXPECT_EQ(h.at("Mcp-Method"), "tools/call");
  EXPECT_EQ(h.at("Mcp-Name"), "echo");
  h = modernHeaders("resources/read", Json{{"uri", "file:///a b"}}, Json());
  EXPECT_EQ(h.at("Mcp-Name"), "file:///a b");
  h = modernHeaders("tools/list", Json::object(), Json());
  EXPECT_EQ(h.size(), 1u);
}

TEST(ModernHeaders, ValuesThatAreNotPlainAsciiAreEncoded) {
  EXPECT_EQ(encodeHeaderValue("plain value"), "plain value");
  EXPECT_EQ(encodeHeaderValue("h\xc3\xa9"), "=?base64?aMOp?=");
  EXPECT_EQ(encodeHeaderValue(" lead"), "=?base64?IGxlYWQ=?=");
  EXPECT_EQ(encodeHeaderValue("line\nbreak"), "=?base64?bGluZQpicmVhaw==?=");
  EXPECT_EQ(encodeHeaderValue("=?looks encoded"), "=?base64?PT9sb29rcyBlbmNvZGVk?=");
}

TEST(ModernHeaders, ParametersNamedByXMcpHeader) {
  const Json schema{{"type", "object"},
                    {"properties",
                     {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                      {"count", {{"type", "integer"}, {"x-mcp-header", "Count"}}},
                      {"dry", {{"type", "boolean"}, {"x-mcp-header", "Dry"}}},
                      {"nested",
                       {{"type", "object"},
                        {"properties", {{"id", {{"type", "string"}, {"x-mcp-header", "Id"}}}}}}},
                      {"absent", {{"type", "string"}, {"x-mcp-header", "Absent"}}},
                      {"plain", {{"type", "string"}}}}}};
  const Json params{{"name", "t"},
                    {"arguments",
                     {{"region", "eu-west"},
                      {"count", 3},
                      {"dry", false},
                      {"nested", {{"id", "x\xc3\xa9"}}},
                      {"plain", "p"}}}};
  const auto h = modernHeaders("tools/call", params, schema);
  EXPECT_EQ(h.at("Mcp-Param-Region"), "eu-west");
  EXPECT_EQ(h.at("Mcp-Param-Count"), "3");
  EXPECT_EQ(h.at("Mcp-Param-Dry"), "false");
  EXPECT_EQ(h.at("Mcp-Param-Id"), "=?base64?eMOp?=");
  EXPECT_EQ(h.count("Mcp-Param-Absent"), 0u);
  EXPECT_EQ(h.size(), 6u);  // method, name and four parameters
}
