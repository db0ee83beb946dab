// SSE framing (core/transport/event_stream.hpp): the frames must parse back,
// under the rules of the HTML event-stream format, into exactly the event
// that was meant, whatever the data contains.

#include "core/transport/event_stream.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace portcullis::transport {
namespace {

struct ParsedEvent {
  std::string event;
  std::string id;
  std::string data;
  bool hasData = false;
  std::vector<std::string> otherFields;
  std::optional<long> retry;
};

// An event-stream parser as browsers implement it: lines end at CRLF, LF or
// a lone CR; an empty line dispatches the event.
std::vector<ParsedEvent> parseStream(const std::string& stream) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t i = 0; i < stream.size(); ++i) {
    const char c = stream[i];
    if (c == '\r' || c == '\n') {
      lines.push_back(line);
      line.clear();
      if (c == '\r' && i + 1 < stream.size() && stream[i + 1] == '\n') ++i;
    } else {
      line += c;
    }
  }
  std::vector<ParsedEvent> events;
  ParsedEvent current;
  bool any = false;
  for (const auto& l : lines) {
    if (l.empty()) {
      if (any) events.push_back(current);
      current = ParsedEvent{};
      any = false;
      continue;
    }
    if (l.front() == ':') continue;
    const size_t colon = l.find(':');
    std::string field = l.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    any = true;
    if (field == "event") {
      current.event = value;
    } else if (field == "id") {
      current.id = value;
    } else if (field == "data") {
      if (current.hasData) current.data += '\n';
      current.data += value;
      current.hasData = true;
    } else if (field == "retry") {
      current.retry = std::stol(value);
    } else {
      current.otherFields.push_back(field);
    }
  }
  return events;
}

// ---- sseEvent ------------------------------------------------------------------------

TEST(SseEvent, DefaultFrame) {
  EXPECT_EQ(sseEvent(R"({"a":1})"), "event: message\ndata: {\"a\":1}\n\n");
}

TEST(SseEvent, WithId) {
  EXPECT_EQ(sseEvent("{}", "s1_4"), "event: message\nid: s1_4\ndata: {}\n\n");
}

TEST(SseEvent, CustomEventName) {
  EXPECT_EQ(sseEvent("/messages?sessionId=abc", {}, "endpoint"),
            "event: endpoint\ndata: /messages?sessionId=abc\n\n");
}

TEST(SseEvent, WithoutEventName) { EXPECT_EQ(sseEvent("x", {}, {}), "data: x\n\n"); }

TEST(SseEvent, EmptyDataStillHasADataLine) { EXPECT_EQ(sseEvent("", {}, {}), "data: \n\n"); }

TEST(SseEvent, LineBreaksInDataBecomeSeveralDataLines) {
  EXPECT_EQ(sseEvent("a\nb", {}, {}), "data: a\ndata: b\n\n");
  EXPECT_EQ(sseEvent("a\n", {}, {}), "data: a\ndata: \n\n");
}

TEST(SseEvent, ParsesBackToOneEventWithTheSameData) {
  const std::string data = R"({"jsonrpc":"2.0","method":"x","params":{"t":"a: b"}})";
  const auto events = parseStream(sseEvent(data, "st_1"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].id, "st_1");
  EXPECT_EQ(events[0].data, data);
  EXPECT_TRUE(events[0].otherFields.empty());
}

TEST(SseEvent, MultiLineDataParsesBackToTheSameText) {
  const std::string data = "line one\nline two\n\nline four";
  const auto events = parseStream(sseEvent(data));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, data);
}

TEST(SseEvent, DataThatLooksLikeFieldsStaysData) {
  const std::string data = "x\nid: 999\nevent: evil\n\ndata: injected";
  const auto events = parseStream(sseEvent(data, "real_1"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "real_1");
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, data);
}

TEST(SseEvent, CarriageReturnLineFeedInDataCannotInjectFields) {
  const auto events = parseStream(sseEvent("a\r\nid: 999\r\n\r\ndata: injected", "real_1"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "real_1");
  EXPECT_TRUE(events[0].otherFields.empty());
}

TEST(SseEvent, LoneCarriageReturnInDataCannotInjectFieldsOrEvents) {
  // A lone CR ends a line in the event-stream format just like LF does.
  const auto events = parseStream(sseEvent("a\rid: 999\r\rdata: injected", "real_1"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "real_1");
  EXPECT_TRUE(events[0].otherFields.empty());
}

// ---- ssePriming ----------------------------------------------------------------------

TEST(SsePriming, ExactFrame) {
  EXPECT_EQ(ssePriming("s1_0", std::chrono::milliseconds(2000)),
            "id: s1_0\nretry: 2000\ndata: \n\n");
}

TEST(SsePriming, ParsesBackToAnEventWithIdRetryAndEmptyData) {
  const auto events = parseStream(ssePriming("abc_7", std::chrono::milliseconds(1500)));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "abc_7");
  EXPECT_EQ(events[0].retry, 1500);
  EXPECT_TRUE(events[0].hasData);
  EXPECT_EQ(events[0].data, "");
}

}  // namespace
}  // namespace portcullis::transport
