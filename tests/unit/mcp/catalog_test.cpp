// The merged catalog of every provider's primitives (core/mcp/catalog.hpp).

#include "core/mcp/catalog.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/unit/mcp/fakes.hpp"

namespace portcullis::mcp {
namespace {

using fakes::FakeProvider;
using fakes::toolJson;

std::vector<std::string> keys(const std::vector<CatalogEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.key);
  return out;
}

uint32_t bits(ListKind kind) { return static_cast<uint32_t>(kind); }

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha->setList(ListKind::Tools, "[" + toolJson("a1") + "," + toolJson("shared") + "]");
    alpha->setList(ListKind::Prompts, R"([{"name":"greet"}])");
    beta->setList(ListKind::Tools, "[" + toolJson("shared") + "," + toolJson("b1") + "]");
    beta->setList(ListKind::Resources, R"([{"uri":"file:///b.txt","name":"b"}])");
    beta->setList(ListKind::ResourceTemplates,
                  R"([{"uriTemplate":"file:///{name}","name":"files"}])");
    catalog.addProvider(alpha);
    catalog.addProvider(beta);
  }

  Catalog catalog;
  std::shared_ptr<FakeProvider> alpha = std::make_shared<FakeProvider>("alpha");
  std::shared_ptr<FakeProvider> beta = std::make_shared<FakeProvider>("beta");
};

// ---- merging ---------------------------------------------------------------------

TEST_F(CatalogTest, MergesProvidersInDeclarationOrder) {
  auto view = catalog.view();
  EXPECT_EQ(keys(view->tools), (std::vector<std::string>{"a1", "shared", "b1"}));
  EXPECT_EQ(keys(view->prompts), (std::vector<std::string>{"greet"}));
  EXPECT_EQ(keys(view->resources), (std::vector<std::string>{"file:///b.txt"}));
  EXPECT_EQ(keys(view->templates), (std::vector<std::string>{"file:///{name}"}));
}

TEST_F(CatalogTest, NameCollisionKeepsTheFirstProvider) {
  auto view = catalog.view();
  const CatalogEntry* shared = view->tool("shared");
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->provider, alpha);
  EXPECT_EQ(view->tool("b1")->provider, beta);
}

TEST_F(CatalogTest, LookupsFindEntriesByKey) {
  auto view = catalog.view();
  EXPECT_NE(view->tool("a1"), nullptr);
  EXPECT_EQ(view->tool("missing"), nullptr);
  EXPECT_NE(view->prompt("greet"), nullptr);
  EXPECT_EQ(view->prompt("a1"), nullptr);
  EXPECT_NE(view->resource("file:///b.txt"), nullptr);
  EXPECT_EQ(view->resource("file:///c.txt"), nullptr);
}

TEST_F(CatalogTest, TemplateForMatchesConcreteUris) {
  auto view = catalog.view();
  const CatalogEntry* t = view->templateFor("file:///notes");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->key, "file:///{name}");
  EXPECT_EQ(t->provider, beta);
  EXPECT_EQ(view->templateFor("http://x/notes"), nullptr);
}

TEST_F(CatalogTest, EntriesCarrySerialisedDefinitionsAndSchemas) {
  auto view = catalog.view();
  const CatalogEntry* a1 = view->tool("a1");
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(json::parseObject(a1->definitionJson)->has("inputSchema"), true);
  ASSERT_NE(a1->inputSchema, nullptr);
  EXPECT_TRUE(a1->inputSchema->validate(json::parse("{}")).empty());
  EXPECT_FALSE(a1->inputSchema->validate(json::parse("[]")).empty());
  EXPECT_NE(view->templates[0].uriTemplate, nullptr);
}

TEST_F(CatalogTest, EntriesByKind) {
  auto view = catalog.view();
  EXPECT_EQ(&view->entries(ListKind::Tools), &view->tools);
  EXPECT_EQ(&view->entries(ListKind::Resources), &view->resources);
  EXPECT_EQ(&view->entries(ListKind::ResourceTemplates), &view->templates);
  EXPECT_EQ(&view->entries(ListKind::Prompts), &view->prompts);
}

TEST_F(CatalogTest, ProvidersAreReportedInOrder) {
  auto providers = catalog.providers();
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0], alpha);
  EXPECT_EQ(providers[1], beta);
}

// ---- malformed definitions -------------------------------------------------------------

TEST(CatalogMalformed, DropsBadDefinitionsAndKeepsTheRest) {
  auto p = std::make_shared<FakeProvider>("p");
  p->setList(ListKind::Tools,
             "[" + toolJson("good") + "," + toolJson("has space") + "," + toolJson("") + "," +
                 toolJson(std::string(129, 'x')) + "," + R"({"name":"noschema"},)" +
                 R"({"name":"stringschema","inputSchema":"object"},)" +
                 R"({"name":"arrayschema","inputSchema":{"type":"array"}},)" +
                 R"({"name":"badoutput","inputSchema":{"type":"object"},"outputSchema":true},)" +
                 R"(42, "tool", null,)" + toolJson("also.good/1_-") + "]");
  p->setList(
      ListKind::Resources,
      R"([{"name":"no uri"},{"uri":"","name":"empty"},{"uri":"file:///n"},{"uri":"file:///ok","name":"ok"}])");
  p->setList(ListKind::ResourceTemplates,
             R"([{"name":"x"},{"uriTemplate":"t://{a}"},{"uriTemplate":"t://{a}","name":"t"}])");
  p->setList(ListKind::Prompts, R"([{"title":"no name"},{"name":7},{"name":"p"}])");
  Catalog catalog;
  catalog.addProvider(p);
  auto view = catalog.view();
  EXPECT_EQ(keys(view->tools), (std::vector<std::string>{"good", "also.good/1_-"}));
  EXPECT_EQ(keys(view->resources), (std::vector<std::string>{"file:///ok"}));
  EXPECT_EQ(keys(view->templates), (std::vector<std::string>{"t://{a}"}));
  EXPECT_EQ(keys(view->prompts), (std::vector<std::string>{"p"}));
}

TEST(CatalogMalformed, DefinitionProblemExplainsEachRule) {
  auto problem = [](ListKind kind, const std::string& text) {
    return definitionProblem(kind, json::asObject(json::parse(text)));
  };
  EXPECT_EQ(problem(ListKind::Tools, toolJson("ok")), "");
  EXPECT_NE(problem(ListKind::Tools, toolJson("bad name")), "");
  EXPECT_NE(problem(ListKind::Tools, R"({"name":"t","inputSchema":[]})"), "");
  EXPECT_NE(problem(ListKind::Tools, R"({"name":"t","inputSchema":{}})"), "");
  EXPECT_NE(problem(ListKind::Resources, R"({"name":"r"})"), "");
  EXPECT_NE(problem(ListKind::Resources, R"({"uri":"x:y"})"), "");
  EXPECT_EQ(problem(ListKind::Resources, R"({"uri":"x:y","name":"r"})"), "");
  EXPECT_NE(problem(ListKind::ResourceTemplates, R"({"uri":"x:{y}","name":"r"})"), "");
  EXPECT_NE(problem(ListKind::Prompts, "{}"), "");
  EXPECT_NE(definitionProblem(ListKind::Prompts, nullptr), "");
}

TEST(CatalogMalformed, HugeToolNameIsDropped) {
  auto p = std::make_shared<FakeProvider>("p");
  p->setList(ListKind::Tools, "[" + toolJson(std::string(1'000'000, 'a')) + "," +
                                  toolJson(std::string(128, 'b')) + "]");
  Catalog catalog;
  catalog.addProvider(p);
  auto view = catalog.view();
  ASSERT_EQ(view->tools.size(), 1u);
  EXPECT_EQ(view->tools[0].key, std::string(128, 'b'));
}

TEST(CatalogMalformed, ProviderWhoseListThrowsContributesNothing) {
  auto broken = std::make_shared<FakeProvider>("broken");
  broken->setList(ListKind::Tools, "[" + toolJson("never") + "]");
  broken->failListing(ListKind::Tools);
  auto healthy = std::make_shared<FakeProvider>("healthy");
  healthy->setList(ListKind::Tools, "[" + toolJson("fine") + "]");
  Catalog catalog;
  catalog.addProvider(broken);
  catalog.addProvider(healthy);
  std::shared_ptr<const CatalogView> view;
  ASSERT_NO_THROW(view = catalog.view());
  EXPECT_EQ(keys(view->tools), (std::vector<std::string>{"fine"}));
}

TEST(CatalogMalformed, FailedListIsRetriedAfterInvalidation) {
  auto flaky = std::make_shared<FakeProvider>("flaky");
  flaky->setList(ListKind::Tools, "[" + toolJson("later") + "]");
  flaky->failListing(ListKind::Tools);
  Catalog catalog;
  catalog.addProvider(flaky);
  EXPECT_TRUE(catalog.view()->tools.empty());
  flaky->failListing(ListKind::Tools, false);
  catalog.invalidate(*flaky, bits(ListKind::Tools));
  EXPECT_EQ(keys(catalog.view()->tools), (std::vector<std::string>{"later"}));
}

// ---- caching and invalidation ------------------------------------------------------

TEST_F(CatalogTest, ListsEveryKindOfEveryProviderOnce) {
  catalog.view();
  for (ListKind kind :
       {ListKind::Tools, ListKind::Resources, ListKind::ResourceTemplates, ListKind::Prompts}) {
    EXPECT_EQ(alpha->listCalls(kind), 1);
    EXPECT_EQ(beta->listCalls(kind), 1);
  }
}

TEST_F(CatalogTest, UnchangedCatalogReturnsTheSameViewWithoutListing) {
  auto first = catalog.view();
  auto second = catalog.view();
  EXPECT_EQ(first, second);
  EXPECT_EQ(alpha->listCalls(ListKind::Tools), 1);
}

TEST_F(CatalogTest, InvalidateRelistsOnlyWhatChanged) {
  auto before = catalog.view();
  alpha->setList(ListKind::Tools, "[" + toolJson("a2") + "]");
  catalog.invalidate(*alpha, bits(ListKind::Tools));
  auto after = catalog.view();

  EXPECT_NE(before, after);
  EXPECT_GT(after->generation, before->generation);
  EXPECT_EQ(alpha->listCalls(ListKind::Tools), 2);
  EXPECT_EQ(alpha->listCalls(ListKind::Prompts), 1);
  EXPECT_EQ(alpha->listCalls(ListKind::Resources), 1);
  EXPECT_EQ(beta->listCalls(ListKind::Tools), 1);
  EXPECT_EQ(beta->listCalls(ListKind::Resources), 1);
  EXPECT_EQ(keys(after->tools), (std::vector<std::string>{"a2", "shared", "b1"}));
  EXPECT_EQ(after->tool("shared")->provider, beta);
  // The old snapshot is untouched.
  EXPECT_EQ(keys(before->tools), (std::vector<std::string>{"a1", "shared", "b1"}));
}

TEST_F(CatalogTest, InvalidateSeveralKindsAtOnce) {
  catalog.view();
  catalog.invalidate(*beta, bits(ListKind::Resources) | bits(ListKind::ResourceTemplates));
  catalog.view();
  EXPECT_EQ(beta->listCalls(ListKind::Resources), 2);
  EXPECT_EQ(beta->listCalls(ListKind::ResourceTemplates), 2);
  EXPECT_EQ(beta->listCalls(ListKind::Tools), 1);
  EXPECT_EQ(alpha->listCalls(ListKind::Resources), 1);
}

TEST_F(CatalogTest, InvalidatingAnUnknownProviderListsNothingAgain) {
  catalog.view();
  FakeProvider stranger("stranger");
  catalog.invalidate(stranger, 0xF);
  catalog.view();
  EXPECT_EQ(alpha->listCalls(ListKind::Tools), 1);
  EXPECT_EQ(beta->listCalls(ListKind::Tools), 1);
}

TEST_F(CatalogTest, ProviderAddedLaterIsListed) {
  catalog.view();
  auto gamma = std::make_shared<FakeProvider>("gamma");
  gamma->setList(ListKind::Tools, "[" + toolJson("g1") + "]");
  catalog.addProvider(gamma);
  EXPECT_EQ(keys(catalog.view()->tools), (std::vector<std::string>{"a1", "shared", "b1", "g1"}));
  EXPECT_EQ(alpha->listCalls(ListKind::Tools), 1);
}

}  // namespace
}  // namespace portcullis::mcp
