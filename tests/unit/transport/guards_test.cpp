// Host/Origin checks against DNS rebinding and the Accept/Content-Type rules
// of Streamable HTTP (core/transport/guards.hpp). Only the pure functions are
// tested here; admit() and preflight() need a live exchange.

#include "core/transport/guards.hpp"

#include <gtest/gtest.h>

#include "core/common/json.hpp"

namespace portcullis::transport {
namespace {

Guards loopbackGuards(std::vector<std::string> origins = {}, std::vector<std::string> hosts = {}) {
  return Guards(OriginPolicy{true, std::move(origins), std::move(hosts)});
}

Guards publicGuards(std::vector<std::string> origins = {}, std::vector<std::string> hosts = {}) {
  return Guards(OriginPolicy{false, std::move(origins), std::move(hosts)});
}

// ---- hostnameOf / isLoopbackName -----------------------------------------------------

TEST(GuardsHostname, StripsThePort) {
  EXPECT_EQ(Guards::hostnameOf("localhost:8080"), "localhost");
  EXPECT_EQ(Guards::hostnameOf("example.com"), "example.com");
  EXPECT_EQ(Guards::hostnameOf("[::1]:80"), "[::1]");
  EXPECT_EQ(Guards::hostnameOf("[::1]"), "[::1]");
  EXPECT_EQ(Guards::hostnameOf(""), "");
}

TEST(GuardsHostname, LoopbackNames) {
  for (const char* name : {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]", "::1"}) {
    EXPECT_TRUE(Guards::isLoopbackName(name)) << name;
  }
  for (const char* name :
       {"example.com", "10.0.0.1", "localhost.example.com", "0.0.0.0", "[::2]"}) {
    EXPECT_FALSE(Guards::isLoopbackName(name)) << name;
  }
}

TEST(GuardsHostname, DomainNamesStartingWith127AreNotLoopback) {
  // "127.attacker.example" is an ordinary DNS name an attacker controls.
  EXPECT_FALSE(Guards::isLoopbackName("127.attacker.example"));
  EXPECT_FALSE(Guards::isLoopbackName("127.0.0.1.nip.io"));
}

// ---- hostAllowed ----------------------------------------------------------------------

TEST(GuardsHost, LoopbackBindAcceptsLoopbackHosts) {
  const Guards g = loopbackGuards();
  for (const char* host :
       {"localhost", "localhost:8080", "LocalHost:1", "127.0.0.1:8080", "[::1]:8080", "[::1]"}) {
    EXPECT_TRUE(g.hostAllowed(host)) << host;
  }
}

TEST(GuardsHost, LoopbackBindRejectsOtherNames) {
  const Guards g = loopbackGuards();
  for (const char* host : {"attacker.example", "attacker.example:8080",
                           "localhost.attacker.example", "10.0.0.1:8080", "0.0.0.0:8080"}) {
    EXPECT_FALSE(g.hostAllowed(host)) << host;
  }
}

TEST(GuardsHost, LoopbackBindRejectsRebindingNamesThatLookLikeLoopback) {
  const Guards g = loopbackGuards();
  EXPECT_FALSE(g.hostAllowed("127.attacker.example:8080"));
  EXPECT_FALSE(g.hostAllowed("127.0.0.1.nip.io"));
}

TEST(GuardsHost, EmptyOrPortOnlyHostIsRejected) {
  EXPECT_FALSE(loopbackGuards().hostAllowed(""));
  EXPECT_FALSE(loopbackGuards().hostAllowed(":8080"));
  EXPECT_FALSE(publicGuards().hostAllowed(""));
}

TEST(GuardsHost, UnclosedIpv6BracketIsRejected) {
  EXPECT_FALSE(loopbackGuards().hostAllowed("[::1"));
}

TEST(GuardsHost, AllowedHostsAreMatchedCaseInsensitivelyWithOrWithoutPort) {
  const Guards g = loopbackGuards({}, {"mcp.example.com"});
  EXPECT_TRUE(g.hostAllowed("mcp.example.com"));
  EXPECT_TRUE(g.hostAllowed("MCP.Example.com:443"));
  EXPECT_FALSE(g.hostAllowed("other.example.com"));
  EXPECT_FALSE(g.hostAllowed("mcp.example.com.attacker.example"));
  EXPECT_TRUE(g.hostAllowed("localhost:8080"));
}

TEST(GuardsHost, PublicBindWithoutListAcceptsAnyName) {
  const Guards g = publicGuards();
  EXPECT_TRUE(g.hostAllowed("mcp.example.com"));
  EXPECT_TRUE(g.hostAllowed("10.0.0.5:8080"));
}

TEST(GuardsHost, PublicBindWithListAcceptsOnlyListedAndLoopback) {
  const Guards g = publicGuards({}, {"mcp.example.com"});
  EXPECT_TRUE(g.hostAllowed("mcp.example.com:8080"));
  EXPECT_TRUE(g.hostAllowed("127.0.0.1:8080"));
  EXPECT_FALSE(g.hostAllowed("attacker.example"));
}

// ---- originAllowed --------------------------------------------------------------------

TEST(GuardsOrigin, ConfiguredOriginIsAllowedExactly) {
  const Guards g = publicGuards({"https://app.example.com"});
  EXPECT_TRUE(g.originAllowed("https://app.example.com", "mcp.example.com"));
  EXPECT_FALSE(g.originAllowed("https://app.example.com.attacker.example", "mcp.example.com"));
  EXPECT_FALSE(g.originAllowed("http://app.example.com", "mcp.example.com"));
}

TEST(GuardsOrigin, SameOriginAsHostIsAllowed) {
  const Guards g = publicGuards();
  EXPECT_TRUE(g.originAllowed("https://mcp.example.com", "mcp.example.com"));
  EXPECT_TRUE(g.originAllowed("http://MCP.example.com:8080", "mcp.example.com:8080"));
  EXPECT_FALSE(g.originAllowed("https://mcp.example.com:8443", "mcp.example.com:8080"));
}

TEST(GuardsOrigin, LoopbackOriginsAreAllowedOnLoopbackBind) {
  const Guards g = loopbackGuards();
  EXPECT_TRUE(g.originAllowed("http://localhost:3000", "localhost:8080"));
  EXPECT_TRUE(g.originAllowed("http://127.0.0.1:6274", "127.0.0.1:8080"));
  EXPECT_TRUE(g.originAllowed("http://[::1]:5173", "[::1]:8080"));
}

TEST(GuardsOrigin, LoopbackOriginsAreNotAllowedOnPublicBind) {
  const Guards g = publicGuards();
  EXPECT_FALSE(g.originAllowed("http://localhost:3000", "mcp.example.com"));
}

TEST(GuardsOrigin, ForeignOriginIsRejectedOnLoopbackBind) {
  const Guards g = loopbackGuards();
  EXPECT_FALSE(g.originAllowed("https://attacker.example", "localhost:8080"));
}

TEST(GuardsOrigin, RebindingOriginThatLooksLikeLoopbackIsRejected) {
  const Guards g = loopbackGuards();
  EXPECT_FALSE(g.originAllowed("http://127.attacker.example", "localhost:8080"));
}

TEST(GuardsOrigin, MalformedOriginsAreRejected) {
  const Guards g = loopbackGuards();
  for (const char* origin :
       {"null", "", "localhost:3000", "file://", "ftp://localhost", "http://",
        "http://localhost@attacker.example", "http://attacker.example/localhost",
        "http://localhost/", "http://localhost?x", "http://localhost#x", "http://local host",
        "http://localhost\\x"}) {
    EXPECT_FALSE(g.originAllowed(origin, "localhost:8080")) << origin;
  }
}

// ---- Accept and Content-Type -------------------------------------------------------------

TEST(AcceptsJson, ListedTypeOrWildcards) {
  EXPECT_TRUE(acceptsJson("application/json"));
  EXPECT_TRUE(acceptsJson("application/json, text/event-stream"));
  EXPECT_TRUE(acceptsJson("text/event-stream,application/json"));
  EXPECT_TRUE(acceptsJson("*/*"));
  EXPECT_TRUE(acceptsJson("application/*"));
  EXPECT_TRUE(acceptsJson("APPLICATION/JSON"));
  EXPECT_TRUE(acceptsJson("text/html;q=0.9, application/json;q=0.8"));
  EXPECT_TRUE(acceptsJson("  application/json ; charset=utf-8 "));
}

TEST(AcceptsJson, OtherTypesAreNotJson) {
  for (const char* accept : {"", "text/event-stream", "text/*", "application/jsonx",
                             "application/json-seq", "application", "json", "*"}) {
    EXPECT_FALSE(acceptsJson(accept)) << accept;
  }
}

TEST(AcceptsJson, QualityZeroMeansNotAcceptable) {
  EXPECT_FALSE(acceptsJson("application/json;q=0"));
  EXPECT_FALSE(acceptsJson("application/json; q=0.0, text/event-stream"));
}

TEST(AcceptsEventStream, ListedTypeOrWildcards) {
  EXPECT_TRUE(acceptsEventStream("text/event-stream"));
  EXPECT_TRUE(acceptsEventStream("application/json, text/event-stream"));
  EXPECT_TRUE(acceptsEventStream("text/*"));
  EXPECT_TRUE(acceptsEventStream("*/*"));
  EXPECT_TRUE(acceptsEventStream("Text/Event-Stream"));
}

TEST(AcceptsEventStream, OtherTypesAreNotEventStreams) {
  for (const char* accept :
       {"", "application/json", "application/*", "text/event-streams", "text/plain"}) {
    EXPECT_FALSE(acceptsEventStream(accept)) << accept;
  }
}

TEST(IsJsonContentType, AcceptsJsonWithParameters) {
  EXPECT_TRUE(isJsonContentType("application/json"));
  EXPECT_TRUE(isJsonContentType("application/json; charset=utf-8"));
  EXPECT_TRUE(isJsonContentType("Application/JSON"));
  EXPECT_TRUE(isJsonContentType("  application/json  "));
}

TEST(IsJsonContentType, RejectsEverythingElse) {
  for (const char* type :
       {"", "text/json", "application/jsonp", "application/json-patch+json",
        "text/plain; application/json", "application/x-www-form-urlencoded", "*/*"}) {
    EXPECT_FALSE(isJsonContentType(type)) << type;
  }
}

// ---- transportError ---------------------------------------------------------------------

TEST(TransportError, IsAJsonRpcErrorWithNullId) {
  auto o = common::json::parseObject(transportError(-32000, "Forbidden: \"x\""));
  ASSERT_TRUE(o->has("id"));
  EXPECT_TRUE(common::json::isNull(o->get("id")));
  auto error = common::json::getObject(o, "error");
  EXPECT_EQ(common::json::getInt(error, "code"), -32000);
  EXPECT_EQ(common::json::getString(error, "message"), "Forbidden: \"x\"");
}

}  // namespace
}  // namespace portcullis::transport
