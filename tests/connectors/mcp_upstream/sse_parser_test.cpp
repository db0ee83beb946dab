#include <gtest/gtest.h>

#include "sse_parser.hpp"

using namespace portcullis::mcp_upstream;

namespace {

struct Collected {
  std::vector<SseEvent> events;
  SseParser parser{1024, [this](const SseEvent& e) { events.push_back(e); }};
};

}  // namespace

TEST(SseParser, EventsSplitAcrossChunks) {
  Collected c;
  const std::string stream =
      "id: 7\nevent: message\ndata: {\"a\":\ndata: 1}\n\n: comment\n\ndata:x\n\n";
  for (char ch : stream) c.parser.feed(std::string_view(&ch, 1));
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].id, "7");
  EXPECT_EQ(c.events[0].event, "message");
  EXPECT_EQ(c.events[0].data, "{\"a\":\n1}");
  EXPECT_EQ(c.events[1].data, "x");
  EXPECT_EQ(c.events[1].event, "message");
}

TEST(SseParser, CrLfAndCrLineEnds) {
  Collected c;
  c.parser.feed("event: endpoint\r\ndata: /messages?s=1\r\n\r\ndata: a\rdata: b\r\r");
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].event, "endpoint");
  EXPECT_EQ(c.events[0].data, "/messages?s=1");
  EXPECT_EQ(c.events[1].data, "a\nb");
}

TEST(SseParser, CrLfSplitBetweenChunks) {
  Collected c;
  c.parser.feed("data: a\r");
  c.parser.feed("\n\r");
  c.parser.feed("\n");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].data, "a");
}

TEST(SseParser, EventsWithoutDataAreNotDispatched) {
  Collected c;
  c.parser.feed("id: 1\n\nevent: x\n\n");
  EXPECT_TRUE(c.events.empty());
}

TEST(SseParser, OversizedEventsAreRefused) {
  Collected c;
  EXPECT_THROW(c.parser.feed("data: " + std::string(2000, 'x')), std::length_error);
  Collected d;
  EXPECT_THROW(for (int i = 0; i < 50; ++i) d.parser.feed("data: " + std::string(30, 'y') + "\n"),
               std::length_error);
}
