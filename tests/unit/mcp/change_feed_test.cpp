// Fan-out of list changes and resource updates to legacy sessions and to
// subscriptions/listen streams (core/mcp/change_feed.hpp).

#include "core/mcp/change_feed.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/mcp/versions.hpp"
#include "tests/unit/mcp/fakes.hpp"

namespace portcullis::mcp {
namespace {

using fakes::FakeProvider;
using fakes::RecordingOutbound;
using fakes::toolJson;

uint32_t bits(ListKind kind) { return static_cast<uint32_t>(kind); }

json::Value subscriptionIdOf(const json::ObjectPtr& message) {
  auto metaObject = json::getObject(json::getObject(message, "params"), "_meta");
  if (!metaObject || !metaObject->has(meta::kSubscriptionId)) return {};
  return metaObject->get(meta::kSubscriptionId);
}

class ChangeFeedTest : public ::testing::Test {
 protected:
  // A session with a notification stream; initialized unless told otherwise.
  std::shared_ptr<RecordingOutbound> sessionWithStream(bool initialized = true) {
    auto session = sessions.create(Principal{});
    auto stream = std::make_shared<RecordingOutbound>();
    session->setNotificationStream(stream);
    if (initialized) session->markInitialized();
    sessionOf[stream.get()] = session;
    return stream;
  }

  std::shared_ptr<RecordingOutbound> listener(json::Value subscriptionId, ListenFilter filter) {
    auto stream = std::make_shared<RecordingOutbound>();
    listenerIds[stream.get()] =
        feed.addListener(std::move(subscriptionId), std::move(filter), stream);
    return stream;
  }

  Catalog catalog;
  SessionStore sessions{16};
  ChangeFeed feed{catalog, sessions};
  std::map<RecordingOutbound*, std::shared_ptr<Session>> sessionOf;
  std::map<RecordingOutbound*, uint64_t> listenerIds;
};

// ---- legacy sessions -------------------------------------------------------------

TEST_F(ChangeFeedTest, ListChangedReachesInitializedSessions) {
  auto stream = sessionWithStream();
  feed.broadcastListChanged(bits(ListKind::Tools));
  ASSERT_EQ(stream->count(), 1u);
  auto message = stream->parsed()[0];
  EXPECT_EQ(json::getString(message, "method"), "notifications/tools/list_changed");
  EXPECT_FALSE(message->has("id"));
}

TEST_F(ChangeFeedTest, SessionsThatAreNotInitializedHearNothing) {
  auto stream = sessionWithStream(false);
  feed.broadcastListChanged(0xF);
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(ChangeFeedTest, EachKindHasItsOwnNotification) {
  auto stream = sessionWithStream();
  feed.broadcastListChanged(bits(ListKind::Prompts));
  feed.broadcastListChanged(bits(ListKind::Resources));
  ASSERT_EQ(stream->count(), 2u);
  EXPECT_EQ(json::getString(stream->parsed()[0], "method"), "notifications/prompts/list_changed");
  EXPECT_EQ(json::getString(stream->parsed()[1], "method"), "notifications/resources/list_changed");
}

TEST_F(ChangeFeedTest, ResourcesAndTemplatesShareOneNotification) {
  auto stream = sessionWithStream();
  feed.broadcastListChanged(bits(ListKind::Resources) | bits(ListKind::ResourceTemplates));
  EXPECT_EQ(stream->withMethod("notifications/resources/list_changed").size(), 1u);
  EXPECT_EQ(stream->count(), 1u);
}

TEST_F(ChangeFeedTest, TemplateChangeAloneIsAResourcesListChange) {
  auto stream = sessionWithStream();
  feed.broadcastListChanged(bits(ListKind::ResourceTemplates));
  EXPECT_EQ(stream->withMethod("notifications/resources/list_changed").size(), 1u);
}

TEST_F(ChangeFeedTest, ResourceUpdatedReachesOnlySubscribedSessions) {
  auto subscribed = sessionWithStream();
  auto other = sessionWithStream();
  sessionOf[subscribed.get()]->subscribe("file:///a");
  sessionOf[other.get()]->subscribe("file:///b");
  feed.resourceUpdated("file:///a");
  ASSERT_EQ(subscribed->count(), 1u);
  auto message = subscribed->parsed()[0];
  EXPECT_EQ(json::getString(message, "method"), "notifications/resources/updated");
  EXPECT_EQ(json::getString(json::getObject(message, "params"), "uri"), "file:///a");
  EXPECT_EQ(other->count(), 0u);
}

TEST_F(ChangeFeedTest, UnsubscribedSessionHearsNoMoreUpdates) {
  auto stream = sessionWithStream();
  sessionOf[stream.get()]->subscribe("file:///a");
  sessionOf[stream.get()]->unsubscribe("file:///a");
  feed.resourceUpdated("file:///a");
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(ChangeFeedTest, SessionWithoutStreamIsSkipped) {
  auto session = sessions.create(Principal{});
  session->markInitialized();
  session->subscribe("file:///a");
  auto stream = sessionWithStream();
  EXPECT_NO_THROW(feed.broadcastListChanged(0xF));
  EXPECT_NO_THROW(feed.resourceUpdated("file:///a"));
  EXPECT_EQ(stream->count(), 3u);
}

TEST_F(ChangeFeedTest, ListChangedFromAProviderInvalidatesTheCatalog) {
  auto provider = std::make_shared<FakeProvider>("p");
  provider->setList(ListKind::Tools, "[" + toolJson("one") + "]");
  catalog.addProvider(provider);
  EXPECT_EQ(catalog.view()->tools.size(), 1u);
  provider->setList(ListKind::Tools, "[" + toolJson("one") + "," + toolJson("two") + "]");
  auto stream = sessionWithStream();
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(catalog.view()->tools.size(), 2u);
  EXPECT_EQ(provider->listCalls(ListKind::Prompts), 1);
  EXPECT_EQ(stream->withMethod("notifications/tools/list_changed").size(), 1u);
}


// ---- who hears a provider's change -------------------------------------------------

// Sessions of two people, the visibility filter letting each see only the
// tools named after them ("alice-*", "bob-*").
class VisibleChangeTest : public ChangeFeedTest {
 protected:
  void SetUp() override {
    provider->setList(ListKind::Tools, "[" + toolJson("alice-a") + "," + toolJson("bob-b") + "]");
    catalog.addProvider(provider);
    catalog.view();
    feed.setVisibilityFilter([](const Principal& p, ListKind, const CatalogEntry& e) {
      return e.key.rfind(p.subject + "-", 0) == 0;
    });
    alice = streamOf("alice");
    bob = streamOf("bob");
  }

  std::shared_ptr<RecordingOutbound> streamOf(const std::string& subject) {
    Principal p;
    p.subject = subject;
    auto session = sessions.create(p);
    auto stream = std::make_shared<RecordingOutbound>();
    session->setNotificationStream(stream);
    session->markInitialized();
    sessionOf[stream.get()] = session;
    return stream;
  }

  size_t heard(const std::shared_ptr<RecordingOutbound>& stream) {
    EXPECT_TRUE(feed.settle(std::chrono::seconds(30)));
    return stream->withMethod("notifications/tools/list_changed").size();
  }

  std::shared_ptr<FakeProvider> provider = std::make_shared<FakeProvider>("p");
  std::shared_ptr<RecordingOutbound> alice, bob;
};

TEST_F(VisibleChangeTest, AnAddedToolReachesOnlyWhoMaySeeIt) {
  provider->setList(ListKind::Tools, "[" + toolJson("alice-a") + "," + toolJson("bob-b") + "," + toolJson("bob-c") + "]");
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(heard(bob), 1u);
  EXPECT_EQ(heard(alice), 0u);
  EXPECT_EQ(catalog.view()->tools.size(), 3u);
}

TEST_F(VisibleChangeTest, ARemovedOrChangedToolReachesWhoSawIt) {
  provider->setList(ListKind::Tools, "[" + toolJson("bob-b") + "]");
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(heard(alice), 1u);
  EXPECT_EQ(heard(bob), 0u);
  provider->setList(ListKind::Tools, "[" + toolJson("bob-b", R"({"type":"object","properties":{"x":{}}})") + "]");
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(heard(bob), 1u);
  EXPECT_EQ(heard(alice), 1u);
}

TEST_F(VisibleChangeTest, AnAnnouncementWithoutADifferenceReachesWhoSeesTheProvider) {
  auto carol = streamOf("carol");
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(heard(alice), 1u);
  EXPECT_EQ(heard(bob), 1u);
  EXPECT_EQ(heard(carol), 0u);
}

TEST_F(VisibleChangeTest, ListenStreamsAreFilteredTheSameWay) {
  ListenFilter filter;
  filter.toolsListChanged = true;
  Principal p;
  p.subject = "alice";
  auto stream = std::make_shared<RecordingOutbound>();
  feed.addListener(json::Value("s1"), filter, stream, p);
  provider->setList(ListKind::Tools, "[" + toolJson("alice-a") + "," + toolJson("bob-b") + "," + toolJson("bob-c") + "]");
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(heard(stream), 0u);
  provider->setList(ListKind::Tools, "[" + toolJson("alice-z") + "]");
  feed.listChanged(*provider, bits(ListKind::Tools));
  EXPECT_EQ(heard(stream), 1u);
}

// Its list() takes the lock it holds while it announces a change.
class LockingProvider : public FakeProvider {
 public:
  using FakeProvider::FakeProvider;
  json::ArrayPtr list(ListKind kind) override {
    std::lock_guard hold(lock);
    return FakeProvider::list(kind);
  }
  std::mutex lock;
};

TEST_F(ChangeFeedTest, AProviderAnnouncingUnderItsOwnListLockDoesNotDeadlock) {
  auto locking = std::make_shared<LockingProvider>("locking");
  locking->setList(ListKind::Tools, "[" + toolJson("a") + "]");
  catalog.addProvider(locking);
  catalog.view();
  feed.setVisibilityFilter([](const Principal&, ListKind, const CatalogEntry&) { return true; });
  auto stream = sessionWithStream();
  {
    std::lock_guard held(locking->lock);
    locking->setList(ListKind::Tools, "[" + toolJson("a") + "," + toolJson("b") + "]");
    feed.listChanged(*locking, bits(ListKind::Tools));  // returns without listing
  }
  EXPECT_TRUE(feed.settle(std::chrono::seconds(30)));
  EXPECT_EQ(stream->withMethod("notifications/tools/list_changed").size(), 1u);
}

// ---- subscriptions/listen streams ------------------------------------------------------

TEST_F(ChangeFeedTest, ListenersGetOnlyWhatTheirFilterNames) {
  ListenFilter toolsOnly;
  toolsOnly.toolsListChanged = true;
  ListenFilter promptsOnly;
  promptsOnly.promptsListChanged = true;
  ListenFilter resourcesOnly;
  resourcesOnly.resourcesListChanged = true;
  auto tools = listener(json::Value(std::string("t")), toolsOnly);
  auto prompts = listener(json::Value(std::string("p")), promptsOnly);
  auto resources = listener(json::Value(std::string("r")), resourcesOnly);

  feed.broadcastListChanged(bits(ListKind::Tools));
  EXPECT_EQ(tools->withMethod("notifications/tools/list_changed").size(), 1u);
  EXPECT_EQ(prompts->count(), 0u);
  EXPECT_EQ(resources->count(), 0u);

  feed.broadcastListChanged(bits(ListKind::ResourceTemplates));
  EXPECT_EQ(resources->withMethod("notifications/resources/list_changed").size(), 1u);
  EXPECT_EQ(tools->count(), 1u);
  EXPECT_EQ(prompts->count(), 0u);
}

TEST_F(ChangeFeedTest, ListenerNotificationsCarryTheirSubscriptionId) {
  ListenFilter filter;
  filter.toolsListChanged = true;
  auto a = listener(json::Value(std::string("sub-a")), filter);
  auto b = listener(json::Value(int64_t{42}), filter);
  feed.broadcastListChanged(bits(ListKind::Tools));
  ASSERT_EQ(a->count(), 1u);
  ASSERT_EQ(b->count(), 1u);
  const json::Value idA = subscriptionIdOf(a->parsed()[0]);
  const json::Value idB = subscriptionIdOf(b->parsed()[0]);
  ASSERT_TRUE(json::isString(idA));
  EXPECT_EQ(idA.extract<std::string>(), "sub-a");
  ASSERT_TRUE(json::isInteger(idB));
  EXPECT_EQ(idB.convert<int64_t>(), 42);
}

TEST_F(ChangeFeedTest, ResourceUpdatesReachListenersSubscribedToThatUri) {
  ListenFilter wantsA;
  wantsA.resourceSubscriptions = {"file:///a", "file:///c"};
  ListenFilter wantsB;
  wantsB.resourceSubscriptions = {"file:///b"};
  ListenFilter alsoA;
  alsoA.resourceSubscriptions = {"file:///a"};
  auto a = listener(json::Value(std::string("la")), wantsA);
  auto b = listener(json::Value(std::string("lb")), wantsB);
  auto a2 = listener(json::Value(std::string("la2")), alsoA);

  feed.resourceUpdated("file:///a");
  ASSERT_EQ(a->count(), 1u);
  EXPECT_EQ(b->count(), 0u);
  ASSERT_EQ(a2->count(), 1u);
  auto message = a->parsed()[0];
  EXPECT_EQ(json::getString(message, "method"), "notifications/resources/updated");
  EXPECT_EQ(json::getString(json::getObject(message, "params"), "uri"), "file:///a");
  // Each listener gets its own tag, not a shared, overwritten one.
  EXPECT_EQ(subscriptionIdOf(a->parsed()[0]).extract<std::string>(), "la");
  EXPECT_EQ(subscriptionIdOf(a2->parsed()[0]).extract<std::string>(), "la2");
}

TEST_F(ChangeFeedTest, ListChangeDoesNotReachResourceOnlyListeners) {
  ListenFilter filter;
  filter.resourceSubscriptions = {"file:///a"};
  auto stream = listener(json::Value(std::string("x")), filter);
  feed.broadcastListChanged(0xF);
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(ChangeFeedTest, RemovedListenerHearsNothing) {
  ListenFilter filter;
  filter.toolsListChanged = true;
  auto stream = listener(json::Value(std::string("x")), filter);
  EXPECT_EQ(feed.listenerCount(), 1u);
  feed.removeListener(listenerIds[stream.get()]);
  EXPECT_EQ(feed.listenerCount(), 0u);
  feed.broadcastListChanged(bits(ListKind::Tools));
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(ChangeFeedTest, ListenerIdsAreDistinct) {
  ListenFilter filter;
  auto a = listener(json::Value(std::string("a")), filter);
  auto b = listener(json::Value(std::string("b")), filter);
  EXPECT_NE(listenerIds[a.get()], listenerIds[b.get()]);
}

TEST_F(ChangeFeedTest, SessionNotificationsCarryNoSubscriptionId) {
  auto stream = sessionWithStream();
  ListenFilter filter;
  filter.toolsListChanged = true;
  listener(json::Value(std::string("x")), filter);
  feed.broadcastListChanged(bits(ListKind::Tools));
  ASSERT_EQ(stream->count(), 1u);
  EXPECT_TRUE(subscriptionIdOf(stream->parsed()[0]).isEmpty());
}

}  // namespace
}  // namespace portcullis::mcp
