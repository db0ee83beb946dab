// The conformance plugin: every fixture the official MCP conformance suite
// (@modelcontextprotocol/conformance) expects a server to offer, written
// against the SDK like any third-party plugin. Load it with
// config/examples/open.yaml and point the suite at /mcp.

#include <chrono>
#include <random>
#include <thread>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

constexpr const char* kConfigSchema = R"({"type": "object", "additionalProperties": false})";

// A 1x1 PNG and a minimal WAV, as the suite expects them.
constexpr const char* kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
constexpr const char* kWav = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

constexpr int kMissingClientCapability = -32021;

void pause(int milliseconds) { std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds)); }

std::string nonce() {
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// requestState that the server can prove it issued: {"data": ..., "mac": HMAC-SHA256(data)}.
class StateSigner {
 public:
  StateSigner() { RAND_bytes(key_, sizeof key_); }

  std::string sign(const Json& payload) const {
    const std::string data = payload.dump();
    return Json{{"data", data}, {"mac", mac(data)}}.dump();
  }

  // The payload, or null when the state was not issued by this server.
  Json verify(const std::string& state) const {
    const Json parsed = Json::parse(state, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("data") || !parsed.contains("mac") ||
        !parsed["data"].is_string() || !parsed["mac"].is_string()) {
      return nullptr;
    }
    const std::string data = parsed["data"].get<std::string>();
    const std::string expected = mac(data);
    const std::string given = parsed["mac"].get<std::string>();
    if (given.size() != expected.size() ||
        CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
      return nullptr;
    }
    return Json::parse(data, nullptr, false);
  }

 private:
  std::string mac(const std::string& data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key_, sizeof key_, reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &length);
    static const char* hex = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
      text += hex[out[i] >> 4];
      text += hex[out[i] & 15];
    }
    return text;
  }

  unsigned char key_[32];
};

Json objectSchema(Json properties = Json::object(), Json required = Json::array()) {
  Json schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

Json tool(const std::string& name, const std::string& description, Json inputSchema = objectSchema()) {
  return Json{{"name", name}, {"description", description}, {"inputSchema", std::move(inputSchema)}};
}

Json elicitation(const std::string& message, Json schema) {
  return Json{{"method", "elicitation/create"},
              {"params", {{"message", message}, {"requestedSchema", std::move(schema)}}}};
}

Json sampling(const std::string& text, int maxTokens) {
  return Json{{"method", "sampling/createMessage"},
              {"params",
               {{"messages", Json::array({{{"role", "user"}, {"content", textBlock(text)}}})},
                {"maxTokens", maxTokens}}}};
}

// The inputResponses of a retried request, validated: an object whose values are objects.
Json inputResponses(const Call& call) {
  const Json& params = call.params();
  if (!params.contains("inputResponses")) return Json::object();
  const Json& responses = params["inputResponses"];
  if (!responses.is_object()) throw RpcError(codes::kInvalidParams, "inputResponses must be an object");
  for (const auto& [key, value] : responses.items()) {
    if (!value.is_object()) {
      throw RpcError(codes::kInvalidParams, "inputResponses." + key + " must be an object");
    }
  }
  return responses;
}

std::string requestState(const Call& call) {
  const Json& params = call.params();
  if (!params.contains("requestState")) return {};
  if (!params["requestState"].is_string()) throw RpcError(codes::kInvalidParams, "requestState must be a string");
  return params["requestState"].get<std::string>();
}

std::string contentField(const Json& response, const std::string& field) {
  const Json content = response.value("content", Json::object());
  return content.is_object() && content.contains(field) && content[field].is_string()
             ? content[field].get<std::string>()
             : "unknown";
}

Json clientCapabilities(const Call& call) {
  const Json info = call.info();
  return info.is_object() ? info.value("clientCapabilities", Json::object()) : Json::object();
}

void requireCapability(const Call& call, const std::string& capability) {
  const Json caps = clientCapabilities(call);
  if (!caps.is_object() || !caps.contains(capability)) {
    throw RpcError(kMissingClientCapability, "Missing required client capability: " + capability,
                   Json{{"requiredCapabilities", {{capability, Json::object()}}}});
  }
}

class Conformance : public PrimitiveProvider {
 public:
  Conformance(const Json&, Host host) : PrimitiveProvider(host) {
    addContentTools();
    addInteractiveTools();
    addInputRequiredTools();
    addDiagnosticTools();
    addTaskTools();
    addResources();
    addPrompts();
  }

  Json invoke(const std::string& method, const Json& params, Call& call) override {
    if (method == "resources/subscribe" || method == "resources/unsubscribe") {
      const std::string verb = method == "resources/subscribe" ? "Subscribed to" : "Unsubscribed from";
      call.log(LogLevel::Info, verb + std::string(" resource: ") + params.value("uri", std::string()),
               "conformance-test-server");
      return Json::object();
    }
    return PrimitiveProvider::invoke(method, params, call);
  }

 private:
  void addContentTools() {
    addTool(tool("test_simple_text", "Tests simple text content response"),
            [](const Json&, Call&) { return textResult("This is a simple text response for testing."); });
    addTool(tool("test_image_content", "Tests image content response"),
            [](const Json&, Call&) { return Json::array({imageBlock(kPng, "image/png")}); });
    addTool(tool("test_audio_content", "Tests audio content response"),
            [](const Json&, Call&) { return Json::array({audioBlock(kWav, "audio/wav")}); });
    addTool(tool("test_embedded_resource", "Tests embedded resource content response"), [](const Json&, Call&) {
      return Json::array(
          {embeddedText("test://embedded-resource", "text/plain", "This is an embedded resource content.")});
    });
    addTool(tool("test_multiple_content_types",
                 "Tests response with multiple content types (text, image, resource)"),
            [](const Json&, Call&) {
              return Json::array({textBlock("Multiple content types test:"), imageBlock(kPng, "image/png"),
                                  embeddedText("test://mixed-content-resource", "application/json",
                                               R"({"test":"data","value":123})")});
            });
    addTool(tool("test_error_handling", "Tests error response handling"), [](const Json&, Call&) -> Json {
      throw ToolError("This tool intentionally returns an error for testing");
    });
    addTool(tool("json_schema_2020_12_tool",
                 "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
                 Json::parse(R"JSON({
                   "$schema": "https://json-schema.org/draft/2020-12/schema",
                   "type": "object",
                   "$defs": {
                     "address": {
                       "$anchor": "addressDef",
                       "type": "object",
                       "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
                     }
                   },
                   "properties": {
                     "name": {"type": "string"},
                     "address": {"$ref": "#/$defs/address"},
                     "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                     "phone": {"type": "string"},
                     "email": {"type": "string"}
                   },
                   "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
                   "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
                   "then": {"required": ["phone"]},
                   "else": {"required": ["email"]},
                   "additionalProperties": false
                 })JSON")),
            [](const Json& args, Call&) {
              return textResult("JSON Schema 2020-12 tool called with: " + args.dump());
            });
  }

  void addInteractiveTools() {
    addTool(tool("test_tool_with_logging", "Tests tool that emits log messages during execution"),
            [](const Json&, Call& call) {
              call.log(LogLevel::Info, "Tool execution started");
              pause(50);
              call.log(LogLevel::Info, "Tool processing data");
              pause(50);
              call.log(LogLevel::Info, "Tool execution completed");
              return textResult("Tool with logging executed successfully");
            });
    addTool(tool("test_tool_with_progress", "Tests tool that reports progress notifications"),
            [](const Json&, Call& call) {
              for (int step : {0, 50, 100}) {
                if (step > 0) pause(50);
                call.progress(step, 100, "Completed step " + std::to_string(step) + " of 100");
              }
              const Json meta = call.params().value("_meta", Json::object());
              const Json token = meta.is_object() ? meta.value("progressToken", Json(0)) : Json(0);
              return textResult(token.is_string() ? token.get<std::string>() : token.dump());
            });
    addTool(tool("test_reconnection",
                 "Tests SSE stream disconnection and client reconnection (SEP-1699): the server closes the "
                 "stream mid-call and sends the result after the client reconnects."),
            [](const Json&, Call& call) {
              call.releaseStream();
              pause(100);
              return textResult(
                  "Reconnection test completed successfully. If you received this, the client properly "
                  "reconnected after stream closure.");
            });
    addTool(tool("test_sampling", "Tests server-initiated sampling (LLM completion request)",
                 objectSchema({{"prompt", {{"type", "string"}, {"description", "The prompt to send to the LLM"}}}},
                              {"prompt"})),
            [](const Json& args, Call& call) {
              const Json reply = call.request("sampling/createMessage", sampling(args.at("prompt").get<std::string>(), 100)["params"]);
              const Json content = reply.value("content", Json::object());
              const std::string text =
                  content.is_object() ? content.value("text", std::string("No response")) : "No response";
              return textResult("LLM response: " + text);
            });
    addTool(tool("test_elicitation", "Tests server-initiated elicitation (user input request)",
                 objectSchema({{"message", {{"type", "string"}, {"description", "The message to show the user"}}}},
                              {"message"})),
            [](const Json& args, Call& call) {
              const Json reply = call.request(
                  "elicitation/create",
                  elicitation(args.at("message").get<std::string>(),
                              objectSchema({{"username", {{"type", "string"}, {"description", "User's response"}}},
                                            {"email", {{"type", "string"}, {"description", "User's email address"}}}},
                                           {"username", "email"}))["params"]);
              return textResult("User response: action=" + reply.value("action", std::string("unknown")) +
                                ", content=" + reply.value("content", Json::object()).dump());
            });
    addTool(tool("test_elicitation_sep1034_defaults", "Tests elicitation with default values per SEP-1034"),
            [](const Json&, Call& call) {
              const Json schema = Json::parse(R"JSON({
                "type": "object",
                "properties": {
                  "name": {"type": "string", "description": "User name", "default": "John Doe"},
                  "age": {"type": "integer", "description": "User age", "default": 30},
                  "score": {"type": "number", "description": "User score", "default": 95.5},
                  "status": {"type": "string", "description": "User status",
                             "enum": ["active", "inactive", "pending"], "default": "active"},
                  "verified": {"type": "boolean", "description": "Verification status", "default": true}
                },
                "required": []
              })JSON");
              const Json reply = call.request(
                  "elicitation/create",
                  elicitation("Please review and update the form fields with defaults", schema)["params"]);
              return textResult("Elicitation completed: action=" + reply.value("action", std::string("unknown")) +
                                ", content=" + reply.value("content", Json::object()).dump());
            });
    addTool(tool("test_elicitation_sep1330_enums", "Tests elicitation with enum schema improvements per SEP-1330"),
            [](const Json&, Call& call) {
              const Json schema = Json::parse(R"JSON({
                "type": "object",
                "properties": {
                  "untitledSingle": {"type": "string", "description": "Select one option",
                                     "enum": ["option1", "option2", "option3"]},
                  "titledSingle": {"type": "string", "description": "Select one option with titles",
                                   "oneOf": [{"const": "value1", "title": "First Option"},
                                             {"const": "value2", "title": "Second Option"},
                                             {"const": "value3", "title": "Third Option"}]},
                  "legacyEnum": {"type": "string", "description": "Select one option (legacy)",
                                 "enum": ["opt1", "opt2", "opt3"],
                                 "enumNames": ["Option One", "Option Two", "Option Three"]},
                  "untitledMulti": {"type": "array", "description": "Select multiple options",
                                    "minItems": 1, "maxItems": 3,
                                    "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                  "titledMulti": {"type": "array", "description": "Select multiple options with titles",
                                  "minItems": 1, "maxItems": 3,
                                  "items": {"anyOf": [{"const": "value1", "title": "First Choice"},
                                                      {"const": "value2", "title": "Second Choice"},
                                                      {"const": "value3", "title": "Third Choice"}]}}
                },
                "required": []
              })JSON");
              const Json reply = call.request(
                  "elicitation/create", elicitation("Please select options from the enum fields", schema)["params"]);
              return textResult("Elicitation completed: action=" + reply.value("action", std::string("unknown")) +
                                ", content=" + reply.value("content", Json::object()).dump());
            });
  }

  // Multi round-trip requests (2026-07-28): these tools answer with
  // input_required and finish when the client retries with inputResponses.
  void addInputRequiredTools() {
    const Json nameSchema = objectSchema({{"name", {{"type", "string"}}}}, {"name"});
    const Json confirmSchema = objectSchema({{"ok", {{"type", "boolean"}}}}, {"ok"});

    addTool(tool("test_input_required_result_elicitation", "MRTR: returns InputRequiredResult with elicitation request"),
            [nameSchema](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              if (responses.contains("user_name")) {
                return textResult("Hello, " + contentField(responses["user_name"], "name") + "!");
              }
              return inputRequired({{"user_name", elicitation("What is your name?", nameSchema)}});
            });
    addTool(tool("test_input_required_result_sampling", "MRTR: returns InputRequiredResult with sampling request"),
            [](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              if (responses.contains("sample_request")) {
                const Json content = responses["sample_request"].value("content", Json::object());
                const std::string text = content.is_object() && content.contains("text") && content["text"].is_string()
                                             ? content["text"].get<std::string>()
                                             : "no response";
                return textResult("Sampling result: " + text);
              }
              return inputRequired({{"sample_request", sampling("What is the capital of France?", 100)}});
            });
    addTool(tool("test_input_required_result_list_roots", "MRTR: returns InputRequiredResult with roots/list request"),
            [](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              if (responses.contains("roots_request")) {
                const Json roots = responses["roots_request"].value("roots", Json::array());
                return textResult("Found " + std::to_string(roots.is_array() ? roots.size() : 0) + " root(s)");
              }
              return inputRequired({{"roots_request", {{"method", "roots/list"}, {"params", Json::object()}}}});
            });
    addTool(tool("test_input_required_result_request_state", "MRTR: returns InputRequiredResult with requestState"),
            [confirmSchema](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              const std::string state = requestState(call);
              if (!state.empty() && responses.contains("confirm")) {
                const Json parsed = Json::parse(state, nullptr, false);
                const Json content = responses["confirm"].value("content", Json::object());
                if (parsed.is_object() && parsed.value("kind", std::string()) == "request-state" &&
                    content.is_object() && content.value("ok", false)) {
                  return textResult("state-ok: requestState validated");
                }
              }
              return inputRequired({{"confirm", elicitation("Please confirm", confirmSchema)}},
                                   Json{{"kind", "request-state"}, {"nonce", nonce()}}.dump());
            });
    addTool(tool("test_input_required_result_multiple_inputs",
                 "MRTR: returns InputRequiredResult with multiple input requests"),
            [nameSchema](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              const std::string state = requestState(call);
              if (!state.empty() && responses.contains("user_name") && responses.contains("greeting") &&
                  responses.contains("client_roots")) {
                const Json parsed = Json::parse(state, nullptr, false);
                if (parsed.is_object() && parsed.value("kind", std::string()) == "multiple-inputs") {
                  const Json greeting = responses["greeting"].value("content", Json::object());
                  const Json roots = responses["client_roots"].value("roots", Json::array());
                  return textResult("Name: " + contentField(responses["user_name"], "name") + "; Greeting: " +
                                    (greeting.is_object() ? greeting.value("text", std::string("Hello there!"))
                                                          : std::string("Hello there!")) +
                                    "; Roots: " + std::to_string(roots.is_array() ? roots.size() : 0));
                }
              }
              return inputRequired({{"user_name", elicitation("What is your name?", nameSchema)},
                                    {"greeting", sampling("Generate a greeting", 50)},
                                    {"client_roots", {{"method", "roots/list"}, {"params", Json::object()}}}},
                                   Json{{"kind", "multiple-inputs"}, {"nonce", nonce()}}.dump());
            });
    addTool(tool("test_input_required_result_multi_round", "MRTR: multi-round InputRequiredResult workflow"),
            [nameSchema](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              const std::string state = requestState(call);
              const Json parsed = state.empty() ? Json() : Json::parse(state, nullptr, false);
              const int round = parsed.is_object() ? parsed.value("round", 0) : 0;
              if (round == 1 && responses.contains("step1")) {
                const std::string name = contentField(responses["step1"], "name");
                return inputRequired(
                    {{"step2", elicitation("Step 2: What is your favorite color?",
                                           objectSchema({{"color", {{"type", "string"}}}}, {"color"}))}},
                    Json{{"round", 2}, {"name", name}, {"nonce", nonce()}}.dump());
              }
              if (round == 2 && responses.contains("step2")) {
                return textResult("Multi-round complete for " + parsed.value("name", std::string("friend")) +
                                  " who likes " + contentField(responses["step2"], "color"));
              }
              return inputRequired({{"step1", elicitation("Step 1: What is your name?", nameSchema)}},
                                   Json{{"round", 1}, {"nonce", nonce()}}.dump());
            });
    addTool(tool("test_input_required_result_tampered_state", "MRTR: HMAC-signed requestState integrity test"),
            [this, confirmSchema](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              const std::string state = requestState(call);
              if (!state.empty()) {
                const Json verified = signer_.verify(state);
                if (!verified.is_object()) throw RpcError(codes::kInvalidParams, "requestState integrity check failed");
                if (verified.value("kind", std::string()) == "tamper-test" && responses.contains("confirm")) {
                  return textResult("integrity-ok: state verified");
                }
              }
              return inputRequired({{"confirm", elicitation("Please confirm", confirmSchema)}},
                                   signer_.sign({{"kind", "tamper-test"}, {"nonce", nonce()}}));
            });
    addTool(tool("test_input_required_result_capabilities", "MRTR: respects client capabilities in inputRequests"),
            [this](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              if (!responses.empty()) {
                std::string keys;
                for (const auto& [key, value] : responses.items()) keys += (keys.empty() ? "" : ",") + key;
                return textResult("capabilities-ok: received " + keys);
              }
              const Json caps = clientCapabilities(call);
              Json requests = Json::object();
              if (caps.contains("elicitation")) {
                requests["elicit_input"] =
                    elicitation("Elicitation input", objectSchema({{"value", {{"type", "string"}}}}, {"value"}));
              }
              if (caps.contains("sampling")) requests["sample_input"] = sampling("Sample request", 50);
              if (requests.empty()) return textResult("No supported capabilities declared");
              return inputRequired(requests, signer_.sign({{"kind", "capabilities-test"}, {"nonce", nonce()}}));
            });
  }

  // Tools the 2026-07-28 transport checks use.
  void addDiagnosticTools() {
    addTool(tool("test_missing_capability", "Test tool requiring sampling"), [](const Json&, Call& call) {
      requireCapability(call, "sampling");
      return textResult("Success");
    });
    addTool(tool("test_streaming_elicitation", "Diagnostic tool validating response progress streams"),
            [](const Json&, Call& call) {
              requireCapability(call, "elicitation");
              call.progress(50, 100, "Streaming");
              return textResult("Streaming complete");
            });
    addTool(tool("test_logging_tool", "Diagnostic logging validator tool"), [](const Json&, Call& call) {
      call.log(LogLevel::Info, "Diagnostic trace logging activated");
      return textResult("Logging evaluated");
    });
    addTool(tool("test_header_param", "Echoes a parameter that clients mirror into the Mcp-Param-Region header",
                 objectSchema({{"region", {{"type", "string"}, {"description", "A region name"},
                                           {"x-mcp-header", "Region"}}},
                               {"query", {{"type", "string"}, {"description", "Free text"}}}},
                              {"region"})),
            [](const Json& args, Call&) { return textResult("region=" + args.value("region", std::string())); });
    addTool(tool("test_trigger_tool_change", "Announces a change of the tool list to subscribers"),
            [this](const Json&, Call&) {
              host().listChanged(PC_LIST_TOOLS);
              return textResult("Mutation triggered");
            });
    addTool(tool("test_trigger_prompt_change", "Announces a change of the prompt list to subscribers"),
            [this](const Json&, Call&) {
              host().listChanged(PC_LIST_PROMPTS);
              return textResult("Mutation triggered");
            });
  }

  // The tasks extension (io.modelcontextprotocol/tasks). The gateway turns
  // a call into a task when the tool declares execution.taskSupport and the
  // client supports tasks; releaseStream() says "this will take a while".
  void addTaskTools() {
    auto taskTool = [](const std::string& name, const std::string& description, const std::string& support,
                       Json schema = objectSchema()) {
      Json definition = tool(name, description, std::move(schema));
      definition["execution"] = {{"taskSupport", support}};
      return definition;
    };
    const Json confirmSchema = objectSchema({{"confirm", {{"type", "boolean"}}}}, {"confirm"});

    addTool(tool("greet", "Says hello (runs synchronously)",
                 objectSchema({{"name", {{"type", "string"}, {"description", "Who to greet"}}}}, {"name"})),
            [](const Json& args, Call&) { return textResult("Hello, " + args.value("name", std::string()) + "!"); });
    addTool(taskTool("slow_compute", "Works for the given number of seconds, then reports; runs as a task",
                     "optional",
                     objectSchema({{"seconds", {{"type", "number"}, {"minimum", 0}, {"maximum", 3600}}},
                                   {"label", {{"type", "string"}}}},
                                  {"seconds"})),
            [](const Json& args, Call& call) {
              const double seconds = args.value("seconds", 0.0);
              if (seconds > 0) call.releaseStream();
              const auto until = std::chrono::steady_clock::now() +
                                 std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
              while (std::chrono::steady_clock::now() < until) {
                if (call.cancelled()) return errorResult("cancelled");
                pause(20);
              }
              return textResult("Computed for " + args.at("seconds").dump() + "s" +
                                (args.contains("label") ? " (" + args.value("label", std::string()) + ")" : ""));
            });
    addTool(taskTool("failing_job", "Fails as a tool after a second; runs only as a task", "required"),
            [](const Json&, Call& call) -> Json {
              call.releaseStream();
              pause(1000);
              throw ToolError("The job failed: the input could not be processed");
            });
    addTool(taskTool("protocol_error_job", "Ends in a protocol error; runs as a task", "optional"),
            [](const Json&, Call& call) -> Json {
              call.releaseStream();
              pause(200);
              throw RpcError(codes::kInternalError, "Internal error: the job crashed");
            });
    addTool(taskTool("confirm_delete", "Asks the user to confirm before deleting a file", "optional",
                     objectSchema({{"filename", {{"type", "string"}}}})),
            [confirmSchema](const Json& args, Call& call) {
              const std::string file = args.value("filename", std::string("the file"));
              const Json reply = call.request(
                  "elicitation/create", elicitation("Delete " + file + "?", confirmSchema)["params"]);
              const Json content = reply.value("content", Json::object());
              const bool confirmed = reply.value("action", std::string()) == "accept" && content.is_object() &&
                                     content.value("confirm", false);
              return textResult(confirmed ? "Deleted " + file : "Kept " + file);
            });
    addTool(taskTool("multi_input", "Asks two questions at once", "optional"), [](const Json&, Call& call) {
      const Json answers = call.requestAll(
          {{"first", elicitation("First question", objectSchema({{"answer", {{"type", "string"}}}}))},
           {"second", elicitation("Second question", objectSchema({{"answer", {{"type", "string"}}}}))}});
      return textResult("first=" + contentField(answers["first"], "answer") +
                        ", second=" + contentField(answers["second"], "answer"));
    });
    const Json nameSchema = objectSchema({{"name", {{"type", "string"}}}}, {"name"});
    addTool(taskTool("test_tool_with_task", "Asks for a name, then finishes the work as a task", "required"),
            [nameSchema](const Json&, Call& call) {
              const Json responses = inputResponses(call);
              if (!responses.contains("user_name")) {
                return inputRequired({{"user_name", elicitation("What is your name?", nameSchema)}});
              }
              const std::string name = contentField(responses["user_name"], "name");
              call.releaseStream();
              pause(300);
              return textResult("Hello, " + name + "! The task is done.");
            });
  }

  void addResources() {
    addResource({{"uri", "test://static-text"},
                 {"name", "static-text"},
                 {"title", "Static Text Resource"},
                 {"description", "A static text resource for testing"},
                 {"mimeType", "text/plain"}},
                [](const std::string& uri, Call&) {
                  return textContents(uri, "text/plain", "This is the content of the static text resource.");
                });
    addResource({{"uri", "test://static-binary"},
                 {"name", "static-binary"},
                 {"title", "Static Binary Resource"},
                 {"description", "A static binary resource (image) for testing"},
                 {"mimeType", "image/png"}},
                [](const std::string& uri, Call&) { return blobContents(uri, "image/png", kPng); });
    addResource({{"uri", "test://watched-resource"},
                 {"name", "watched-resource"},
                 {"title", "Watched Resource"},
                 {"description", "A resource that clients can subscribe to"},
                 {"mimeType", "text/plain"}},
                [](const std::string& uri, Call&) {
                  return textContents(uri, "text/plain", "Watched resource content");
                });
    addResource({{"uri", "test://stateless-static-text"},
                 {"name", "Stateless Static Text"},
                 {"description", "A static text resource served on the 2026-07-28 path"},
                 {"mimeType", "text/plain"}},
                [](const std::string& uri, Call&) {
                  return textContents(uri, "text/plain", "Static text content from the stateless draft path.");
                });
    addResourceTemplate({{"uriTemplate", "test://template/{id}/data"},
                         {"name", "template"},
                         {"title", "Resource Template"},
                         {"description", "A resource template with parameter substitution"},
                         {"mimeType", "application/json"}},
                        [](const std::string& uri, const std::map<std::string, std::string>& vars, Call&) {
                          const std::string id = vars.at("id");
                          return textContents(
                              uri, "application/json",
                              Json{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}}.dump());
                        });
  }

  void addPrompts() {
    addPrompt({{"name", "test_simple_prompt"},
               {"title", "Simple Test Prompt"},
               {"description", "A simple prompt without arguments"}},
              [](const Json&, Call&) {
                return Json{{"messages", Json::array({message("user", textBlock("This is a simple prompt for testing."))})}};
              });
    addPrompt({{"name", "test_prompt_with_arguments"},
               {"title", "Prompt With Arguments"},
               {"description", "A prompt with required arguments"},
               {"arguments", Json::array({{{"name", "arg1"}, {"description", "First test argument"}, {"required", true}},
                                          {{"name", "arg2"}, {"description", "Second test argument"}, {"required", true}}})}},
              [](const Json& args, Call&) {
                const std::string text = "Prompt with arguments: arg1='" + args.value("arg1", std::string()) +
                                         "', arg2='" + args.value("arg2", std::string()) + "'";
                return Json{{"messages", Json::array({message("user", textBlock(text))})}};
              });
    addPrompt({{"name", "test_prompt_with_embedded_resource"},
               {"title", "Prompt With Embedded Resource"},
               {"description", "A prompt that includes an embedded resource"},
               {"arguments", Json::array({{{"name", "resourceUri"},
                                           {"description", "URI of the resource to embed"},
                                           {"required", true}}})}},
              [](const Json& args, Call&) {
                const std::string uri = args.value("resourceUri", std::string());
                return Json{{"messages",
                             Json::array({message("user", embeddedText(uri, "text/plain",
                                                                       "Embedded resource content for testing.")),
                                          message("user", textBlock("Please process the embedded resource above."))})}};
              });
    addPrompt({{"name", "test_prompt_with_image"},
               {"title", "Prompt With Image"},
               {"description", "A prompt that includes image content"}},
              [](const Json&, Call&) {
                return Json{{"messages", Json::array({message("user", imageBlock(kPng, "image/png")),
                                                      message("user", textBlock("Please analyze the image above."))})}};
              });
    addPrompt({{"name", "test_input_required_result_prompt"},
               {"description", "MRTR: prompt that requires elicitation input"}},
              [](const Json&, Call& call) {
                const Json responses = inputResponses(call);
                if (responses.contains("user_context")) {
                  const std::string context = contentField(responses["user_context"], "context");
                  return Json{{"messages", Json::array({message("user", textBlock("Prompt with context: " + context))})}};
                }
                return inputRequired(
                    {{"user_context", elicitation("What context should the prompt use?",
                                                  objectSchema({{"context", {{"type", "string"}}}}, {"context"}))}});
              });
  }

  StateSigner signer_;
};

}  // namespace

PORTCULLIS_PLUGIN(Conformance, PC_KIND_PRIMITIVES, "conformance", "1.0.0", kConfigSchema)
