#include "openapi.hpp"

#include <gtest/gtest.h>

#include "document_text.hpp"

namespace portcullis::http {
namespace {

const char* kDocument = R"({
  "openapi": "3.0.3",
  "info": {"title": "pets", "version": "1"},
  "servers": [{"url": "http://{host}:8081/api", "variables": {"host": {"default": "127.0.0.1"}}}],
  "paths": {
    "/pets": {
      "get": {"operationId": "listPets", "summary": "List pets",
              "parameters": [{"$ref": "#/components/parameters/Limit"},
                             {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                             {"name": "Authorization", "in": "header", "schema": {"type": "string"}}]},
      "post": {"operationId": "createPet", "description": "Adds a pet",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}}}}
    },
    "/pets/{petId}": {
      "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "integer"}, "description": "The pet"}],
      "get": {"operationId": "getPet", "summary": "One pet"},
      "delete": {"operationId": "delete pet!", "summary": "Removes a pet"}
    },
    "/upload": {
      "post": {"operationId": "upload", "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {}}}}}
    },
    "/nameless": {"get": {"summary": "no id"}}
  },
  "components": {
    "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}},
    "schemas": {
      "NewPet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "tag": {"$ref": "#/components/schemas/Tag"}}},
      "Tag": {"type": "string"}
    }
  }
})";

const Operation* find(const OpenApiTools& tools, const std::string& name) {
  for (const auto& op : tools.operations) {
    if (op.toolName == name) return &op;
  }
  return nullptr;
}

TEST(Glob, MatchesStarsAndQuestionMarks) {
  EXPECT_TRUE(globMatch("get*", "getPet"));
  EXPECT_TRUE(globMatch("*Pet", "getPet"));
  EXPECT_TRUE(globMatch("g?tPet", "getPet"));
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_FALSE(globMatch("get*", "listPets"));
  EXPECT_FALSE(globMatch("getPet", "getPets"));
  EXPECT_TRUE(globMatch("a*b*c", "aXXbYYc"));
}

TEST(SanitiseToolName, ReplacesBadCharactersAndRefusesHopelessIds) {
  EXPECT_EQ(sanitiseToolName("p_", "getPet"), "p_getPet");
  EXPECT_EQ(sanitiseToolName("", "delete pet!"), "delete_pet_");
  EXPECT_EQ(sanitiseToolName("", "a/b.c-d"), "a_b.c-d");
  EXPECT_EQ(sanitiseToolName("", "!!!"), std::nullopt);
  EXPECT_EQ(sanitiseToolName("", std::string(65, 'a')), std::nullopt);
}

TEST(ResolveRefs, InlinesLocalReferences) {
  const Json doc = Json::parse(kDocument);
  const Json resolved = resolveRefs(doc, Json{{"$ref", "#/components/schemas/NewPet"}});
  EXPECT_EQ(resolved["properties"]["tag"], (Json{{"type", "string"}}));
}

TEST(ResolveRefs, RefusesCyclesRemoteAndDanglingReferences) {
  const Json doc = Json::parse(R"({"components": {"schemas": {
    "A": {"$ref": "#/components/schemas/B"}, "B": {"properties": {"a": {"$ref": "#/components/schemas/A"}}}}}})");
  try {
    resolveRefs(doc, Json{{"$ref", "#/components/schemas/A"}});
    FAIL() << "expected a cycle error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("$ref cycle"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolveRefs(doc, Json{{"$ref", "other.json#/x"}}), ConfigError);
  EXPECT_THROW(resolveRefs(doc, Json{{"$ref", "#/components/schemas/Missing"}}), ConfigError);
}

TEST(ResolveRefs, StopsAnExponentialExpansion) {
  // Each level refers to the one below twice: 2^40 nodes if expanded.
  Json doc = Json::object();
  doc["d"]["l0"] = {{"type", "string"}};
  for (int i = 1; i <= 40; ++i) {
    const std::string below = "#/d/l" + std::to_string(i - 1);
    doc["d"]["l" + std::to_string(i)] = {{"a", {{"$ref", below}}}, {"b", {{"$ref", below}}}};
  }
  EXPECT_THROW(resolveRefs(doc, Json{{"$ref", "#/d/l40"}}), ConfigError);
}

TEST(ToolsFromOpenApi, BuildsToolsFromParametersAndBodies) {
  const OpenApiTools tools = toolsFromOpenApi(Json::parse(kDocument), {"pets_", {}, {}});
  EXPECT_EQ(tools.serverUrl, "http://127.0.0.1:8081/api");

  const Operation* list = find(tools, "pets_listPets");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->method, "GET");
  EXPECT_EQ(list->description, "List pets");
  EXPECT_EQ(list->queryArguments, std::vector<std::string>{"limit"});
  EXPECT_EQ(list->inputSchema["properties"]["limit"], (Json{{"type", "integer"}, {"minimum", 1}}));
  EXPECT_EQ(list->headerArguments.at("X-Trace"), "X-Trace");
  EXPECT_FALSE(list->inputSchema["properties"].contains("Authorization"));
  EXPECT_FALSE(list->inputSchema.contains("required"));
  EXPECT_EQ(list->inputSchema["additionalProperties"], false);

  const Operation* create = find(tools, "pets_createPet");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->body, BodyMode::Argument);
  EXPECT_EQ(create->bodyArgument, "body");
  EXPECT_EQ(create->inputSchema["required"], Json::array({"body"}));
  EXPECT_EQ(create->inputSchema["properties"]["body"]["properties"]["tag"], (Json{{"type", "string"}}));
  EXPECT_EQ(create->description, "Adds a pet");

  const Operation* get = find(tools, "pets_getPet");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->pathTemplate, "/pets/{petId}");
  EXPECT_EQ(get->inputSchema["required"], Json::array({"petId"}));
  EXPECT_EQ(get->inputSchema["properties"]["petId"]["description"], "The pet");

  EXPECT_NE(find(tools, "pets_delete_pet_"), nullptr);
  // Multipart-only bodies and operations without an id are skipped, with a word why.
  EXPECT_EQ(find(tools, "pets_upload"), nullptr);
  EXPECT_EQ(tools.operations.size(), 4u);
  EXPECT_EQ(tools.warnings.size(), 2u);
}

TEST(ToolsFromOpenApi, IncludeAndExcludeFilterOnOperationId) {
  const OpenApiTools tools = toolsFromOpenApi(Json::parse(kDocument), {"", {"listPets", "get*"}, {"getPet"}});
  ASSERT_EQ(tools.operations.size(), 1u);
  EXPECT_EQ(tools.operations[0].toolName, "listPets");
}

TEST(ToolsFromOpenApi, RefusesDocumentsThatAreNotOpenApi3) {
  EXPECT_THROW(toolsFromOpenApi(Json::parse(R"({"swagger": "2.0", "paths": {}})"), {}), ConfigError);
  EXPECT_THROW(toolsFromOpenApi(Json::parse("[1]"), {}), ConfigError);
  EXPECT_THROW(toolsFromOpenApi(Json::parse(R"({"openapi": "3.0.0", "paths": []})"), {}), ConfigError);
}

TEST(ToolsFromOpenApi, RefusesAPathVariableWithoutAParameter) {
  const Json doc = Json::parse(R"({"openapi": "3.1.0", "paths": {"/pets/{id}": {"get": {"operationId": "getPet"}}}})");
  try {
    toolsFromOpenApi(doc, {});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("getPet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("{id}"), std::string::npos) << e.what();
  }
}

TEST(ToolsFromOpenApi, ACycleInAnIncludedOperationIsAnError) {
  const Json doc = Json::parse(R"({"openapi": "3.0.0", "paths": {"/a": {"post": {"operationId": "a",
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/N"}}}}}}},
    "components": {"schemas": {"N": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/N"}}}}}})");
  EXPECT_THROW(toolsFromOpenApi(doc, {}), ConfigError);
}

TEST(DocumentText, ReadsJsonAndYaml) {
  EXPECT_EQ(parseDocumentText(R"({"openapi": "3.0.0"})", "doc")["openapi"], "3.0.0");
  const Json yaml = parseDocumentText("openapi: '3.0.0'\npaths:\n  /pets:\n    get:\n      operationId: listPets\n"
                                      "responses:\n  200: {description: ok}\nflag: true\ncount: 3\nversion: \"3\"\n",
                                      "doc");
  EXPECT_EQ(yaml["openapi"], "3.0.0");
  EXPECT_EQ(yaml["paths"]["/pets"]["get"]["operationId"], "listPets");
  EXPECT_TRUE(yaml["responses"].contains("200"));
  EXPECT_EQ(yaml["flag"], true);
  EXPECT_EQ(yaml["count"], 3);
  EXPECT_EQ(yaml["version"], "3");
}

TEST(DocumentText, RefusesMalformedText) {
  EXPECT_THROW(parseDocumentText("{\"openapi\": ", "doc"), ConfigError);
  EXPECT_THROW(parseDocumentText("a: [1, 2", "doc"), ConfigError);
}

}  // namespace
}  // namespace portcullis::http
