#include <gtest/gtest.h>

#include <thread>

#include "correlator.hpp"

using namespace portcullis::mcp_upstream;
using Kind = Pending::Next::Kind;

namespace {
constexpr std::chrono::milliseconds kNoWait{0};
Json response(Json id, Json result = Json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}
}  // namespace

TEST(Correlator, ResponsesFindTheirRequestById) {
  Correlator c;
  auto one = c.open(1);
  auto two = c.open("2");
  EXPECT_EQ(c.route(response("2", {{"v", 2}})), Correlator::Route::Delivered);
  EXPECT_EQ(c.route(response(1, {{"v", 1}})), Correlator::Route::Delivered);
  auto a = one->waitNext(kNoWait);
  auto b = two->waitNext(kNoWait);
  ASSERT_EQ(a.kind, Kind::Response);
  EXPECT_EQ(a.message["result"]["v"], 1);
  EXPECT_EQ(b.message["result"]["v"], 2);
}

TEST(Correlator, WrongIdsAndHostileMessagesAreNotDelivered) {
  Correlator c;
  auto one = c.open(1);
  EXPECT_EQ(c.route(response("1")),
            Correlator::Route::UnknownResponse);  // a string is not the number 1
  EXPECT_EQ(c.route(response(9)), Correlator::Route::UnknownResponse);
  EXPECT_EQ(c.route(Json{{"id", 1}, {"result", Json::object()}}), Correlator::Route::Invalid);
  EXPECT_EQ(c.route(Json::array()), Correlator::Route::Invalid);
  EXPECT_EQ(c.route("text"), Correlator::Route::Invalid);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Timeout);
}

TEST(Correlator, AMalformedReplyFailsItsRequest) {
  Correlator c;
  auto one = c.open(1);
  auto two = c.open(2);
  EXPECT_EQ(c.route(Json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", Json::array()}}),
            Correlator::Route::Invalid);
  EXPECT_EQ(c.route(Json{{"jsonrpc", "2.0"}, {"id", 2}}), Correlator::Route::Invalid);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Failed);
  EXPECT_EQ(two->waitNext(kNoWait).kind, Kind::Failed);
}

TEST(Correlator, ProgressFollowsTheTokenTheConnectorChose) {
  Correlator c;
  auto one = c.open(1);
  auto two = c.open(2);
  const Json progress{
      {"jsonrpc", "2.0"},
      {"method", "notifications/progress"},
      {"params", {{"progressToken", Correlator::progressTokenFor(1)}, {"progress", 1}}}};
  EXPECT_EQ(c.route(progress), Correlator::Route::Delivered);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Message);
  EXPECT_EQ(two->waitNext(kNoWait).kind, Kind::Timeout);
  Json foreign = progress;
  foreign["params"]["progressToken"] = "someone-else";
  EXPECT_EQ(c.route(foreign), Correlator::Route::Unrouted);
}

TEST(Correlator, ServerRequestsGoToTheRelatedCallElseTheLatest) {
  Correlator c;
  auto one = c.open(1);
  auto two = c.open(2);
  const Json sampling{{"jsonrpc", "2.0"},
                      {"id", 0},
                      {"method", "sampling/createMessage"},
                      {"params", Json::object()}};
  EXPECT_EQ(c.route(sampling, Json(1)), Correlator::Route::Delivered);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Message);
  EXPECT_EQ(c.route(sampling), Correlator::Route::Delivered);
  EXPECT_EQ(two->waitNext(kNoWait).kind, Kind::Message);
  const Json log{
      {"jsonrpc", "2.0"}, {"method", "notifications/message"}, {"params", {{"level", "info"}}}};
  c.close(2);
  EXPECT_EQ(c.route(log), Correlator::Route::Delivered);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Message);
  c.close(1);
  EXPECT_EQ(c.route(log), Correlator::Route::Unrouted);
  EXPECT_EQ(c.route(sampling), Correlator::Route::Unrouted);
}

TEST(Correlator, ListChangesAreForTheConnector) {
  Correlator c;
  auto one = c.open(1);
  EXPECT_EQ(c.route(Json{{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}}),
            Correlator::Route::Unrouted);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Timeout);
}

TEST(Correlator, InboxBeforeResponseAndFailures) {
  Correlator c;
  auto one = c.open(1);
  c.route(
      Json{{"jsonrpc", "2.0"}, {"method", "notifications/message"}, {"params", Json::object()}});
  c.route(response(1));
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Message);
  EXPECT_EQ(one->waitNext(kNoWait).kind, Kind::Response);
  auto two = c.open(2);
  c.failAll("gone");
  auto failed = two->waitNext(kNoWait);
  EXPECT_EQ(failed.kind, Kind::Failed);
  EXPECT_EQ(failed.reason, "gone");
}

TEST(Correlator, AWaiterWakesWhenTheResponseArrives) {
  Correlator c;
  auto one = c.open(1);
  std::thread reader([&] { c.route(response(1)); });
  const auto next = one->waitNext(std::chrono::seconds(30));
  reader.join();
  EXPECT_EQ(next.kind, Kind::Response);
  EXPECT_EQ(c.inFlight(), 1u);
  c.close(1);
  EXPECT_EQ(c.inFlight(), 0u);
}

TEST(Correlator, PostToReachesOnlyACallInFlight) {
  Correlator c;
  auto one = c.open(1);
  EXPECT_TRUE(c.postTo(1, Json{{"method", "marker"}}));
  EXPECT_FALSE(c.postTo(2, Json{{"method", "marker"}}));
  const auto next = one->waitNext(kNoWait);
  ASSERT_EQ(next.kind, Kind::Message);
  EXPECT_EQ(next.message["method"], "marker");
}

TEST(Correlator, FailOneLeavesTheOthers) {
  Correlator c;
  auto one = c.open(1);
  auto two = c.open(2);
  EXPECT_TRUE(c.fail(1, "connection refused"));
  EXPECT_FALSE(c.fail(3, "nobody"));
  const auto failed = one->waitNext(kNoWait);
  EXPECT_EQ(failed.kind, Kind::Failed);
  EXPECT_EQ(failed.reason, "connection refused");
  EXPECT_EQ(two->waitNext(kNoWait).kind, Kind::Timeout);
}
