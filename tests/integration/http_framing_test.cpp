// HTTP/1.1 framing at the connection loop, driven with raw bytes: request
// heads that could be read two ways (the forms request smuggling relies
// on) are refused and the connection closed, header values reach the MCP
// layer exactly as sent, pipelined requests are answered in order, and
// Expect: 100-continue is honoured without inviting an oversized body.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

constexpr auto kBound = std::chrono::seconds(60);

class integration_http_Framing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig(
        "server:\n"
        "  max_body_bytes: 2048\n"
        "  request_timeout: 5m\n"
        "  keep_alive_timeout: 5m\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }
  static std::string host() { return "Host: 127.0.0.1:" + std::to_string(port()) + "\r\n"; }

  // A stateless demo_echo request with its body, framed by Content-Length.
  static std::string echoRequest(const std::string& id, const std::string& text, const std::string& extra = "") {
    const std::string body =
        modernRequest(id, "tools/call", R"({"name":"demo_echo","arguments":{"text":")" + text + R"("}})");
    return "POST /mcp HTTP/1.1\r\n" + host() +
           "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
           "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: demo_echo\r\n" +
           extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  // Sends `bytes` on a new connection; expects one response with `status`
  // and the connection closed after it.
  static void expectRejected(const std::string& bytes, int status) {
    RawConnection c(port());
    c.send(bytes);
    const auto r = c.readResponse(kBound);
    ASSERT_TRUE(r) << "no response; received: " << c.pending();
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_TRUE(c.closedByPeer(kBound)) << "the connection stays open after a refused head";
  }

  inline static std::unique_ptr<TestGateway> gateway_;
};

const char* kJsonHeaders = "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n";

// ---------------------------------------------------------------------------
// Ambiguous framing

TEST_F(integration_http_Framing, ContentLengthWithChunkedIsRefused) {
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders +
                     "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 400);
}

TEST_F(integration_http_Framing, ConflictingContentLengthsAreRefused) {
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
                 400);
}

TEST_F(integration_http_Framing, MalformedContentLengthIsRefused) {
  for (const std::string& value : std::vector<std::string>{"abc", "-1", "+2", "2 2", "2,2", "0x2",
                                                           "18446744073709551616"}) {
    SCOPED_TRACE(value);
    expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "Content-Length: " + value + "\r\n\r\n{}", 400);
  }
}

TEST_F(integration_http_Framing, UnknownTransferCodingIs501) {
  for (const std::string& value : std::vector<std::string>{"gzip", "gzip, chunked", "chunked, identity"}) {
    SCOPED_TRACE(value);
    expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "Transfer-Encoding: " + value + "\r\n\r\n0\r\n\r\n",
                   501);
  }
}

TEST_F(integration_http_Framing, FoldedOrMalformedHeaderLinesAreRefused) {
  // obs-fold continuation line.
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "X-Long: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
                 400);
  // Whitespace between the field name and the colon.
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "Content-Length : 2\r\n\r\n{}", 400);
  // A line without a colon.
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "NoColonHere\r\nContent-Length: 2\r\n\r\n{}", 400);
}

TEST_F(integration_http_Framing, ControlCharactersInHeaderValuesAreRefused) {
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders +
                     "Mcp-Name: demo\x01_echo\r\nContent-Length: 2\r\n\r\n{}",
                 400);
  // A bare LF inside a field smuggles a second header past a CRLF-only reader.
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "X-A: a\nContent-Length: 200\r\nContent-Length: 2\r\n\r\n{}",
                 400);
}

TEST_F(integration_http_Framing, HostRulesOfHttp11) {
  // HTTP/1.1 needs exactly one Host.
  expectRejected(std::string("POST /mcp HTTP/1.1\r\n") + kJsonHeaders + "Content-Length: 2\r\n\r\n{}", 400);
  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + "Host: evil.example.com\r\n" + kJsonHeaders +
                     "Content-Length: 2\r\n\r\n{}",
                 400);
}

TEST_F(integration_http_Framing, MalformedRequestLinesAreRefused) {
  expectRejected("POST  /mcp HTTP/1.1\r\n" + host() + "\r\n", 400);
  expectRejected("POST /mcp\r\n" + host() + "\r\n", 400);
  expectRejected("PO(ST /mcp HTTP/1.1\r\n" + host() + "\r\n", 400);
  expectRejected("POST mcp HTTP/1.1\r\n" + host() + "\r\n", 400);
  expectRejected("POST /mcp HTTP/2.0\r\n" + host() + "\r\n", 505);
}

TEST_F(integration_http_Framing, MalformedChunkedBodiesAreRefused) {
  for (const std::string& body : std::vector<std::string>{"zz\r\n{}\r\n0\r\n\r\n", "2\r\n{}XX0\r\n\r\n",
                                                          "0x2\r\n{}\r\n0\r\n\r\n"}) {
    SCOPED_TRACE(body);
    expectRejected("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "Transfer-Encoding: chunked\r\n\r\n" + body, 400);
  }
}

TEST_F(integration_http_Framing, OversizedHeadsAreRefused) {
  std::string many = "POST /mcp HTTP/1.1\r\n" + host();
  for (int i = 0; i < 150; ++i) many += "X-Field-" + std::to_string(i) + ": v\r\n";
  expectRejected(many + "\r\n", 431);

  expectRejected("POST /mcp HTTP/1.1\r\n" + host() + "X-Big: " + std::string(80 * 1024, 'a') + "\r\n\r\n", 431);
  expectRejected("GET /" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\n" + host() + "\r\n", 414);
}

// ---------------------------------------------------------------------------
// Values as sent, pipelining, HTTP/1.0

TEST_F(integration_http_Framing, EncodedHeaderValuesArriveUnchanged) {
  // "=?...?=" looks like an RFC 2047 encoded word; it must reach the
  // Mcp-Name check byte for byte.
  RawConnection c(port());
  std::string bytes = echoRequest("1", "encoded");
  const std::string plain = "Mcp-Name: demo_echo\r\n";
  bytes.replace(bytes.find(plain), plain.size(), "Mcp-Name: =?base64?ZGVtb19lY2hv?=\r\n");
  ASSERT_TRUE(c.send(bytes));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(firstText(resultOf(r->body, "1")), "encoded");
}

TEST_F(integration_http_Framing, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection c(port());
  ASSERT_TRUE(c.send(echoRequest("1", "first") + echoRequest("2", "second") + echoRequest("3", "third")));
  const char* texts[] = {"first", "second", "third"};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const auto r = c.readResponse(kBound);
    ASSERT_TRUE(r) << c.pending();
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(firstText(resultOf(r->body, std::to_string(i + 1))), texts[i]);
  }
}

TEST_F(integration_http_Framing, Http10IsAnsweredAndClosed) {
  RawConnection c(port());
  std::string bytes = echoRequest("1", "old");
  bytes.replace(bytes.find("HTTP/1.1"), 8, "HTTP/1.0");
  ASSERT_TRUE(c.send(bytes));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(firstText(resultOf(r->body, "1")), "old");
  EXPECT_TRUE(c.closedByPeer(kBound));
}

TEST_F(integration_http_Framing, ConnectionCloseIsHonoured) {
  RawConnection c(port());
  ASSERT_TRUE(c.send(echoRequest("1", "bye", "Connection: close\r\n")));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.closedByPeer(kBound));
}

// ---------------------------------------------------------------------------
// Expect: 100-continue

TEST_F(integration_http_Framing, ExpectContinueGets100ThenTheAnswer) {
  std::string bytes = echoRequest("1", "continued", "Expect: 100-continue\r\n");
  const size_t headEnd = bytes.find("\r\n\r\n") + 4;
  RawConnection c(port());
  ASSERT_TRUE(c.send(bytes.substr(0, headEnd)));
  const auto interim = c.readResponse(kBound);
  ASSERT_TRUE(interim) << "no 100 Continue while the client waits for it; received: " << c.pending();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send(bytes.substr(headEnd)));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(firstText(resultOf(r->body, "1")), "continued");
}

TEST_F(integration_http_Framing, ExpectContinueOverTheCapGets413Not100) {
  RawConnection c(port());
  ASSERT_TRUE(c.send("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders +
                     "Expect: 100-continue\r\nContent-Length: 1000000\r\n\r\n"));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.closedByPeer(kBound));
}

// A client that does not wait sends its whole oversized body at once; it
// must still be able to read the 413 the server sent before closing.
TEST_F(integration_http_Framing, OversizedBodySentInFullStillGetsItsAnswer) {
  RawConnection c(port());
  c.send("POST /mcp HTTP/1.1\r\n" + host() + kJsonHeaders + "Content-Length: 200000\r\n\r\n" +
         std::string(200000, ' '));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << "the 413 was lost; received: " << c.pending();
  EXPECT_EQ(r->status, 413);
}

}  // namespace
}  // namespace portcullis::testing::http
