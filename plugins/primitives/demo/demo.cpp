// The demo plugin: three small tools, a resource and a prompt, enough to try
// any MCP client against a fresh Portcullis.

#include <chrono>
#include <ctime>

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

constexpr const char* kConfigSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "greeting": {"type": "string", "description": "Text the demo_help prompt starts with."}
  }
})";

std::string utcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

const char* kHelp =
    "Portcullis demo tools:\n"
    "- demo_echo {text}: returns the text you send\n"
    "- demo_get_time: returns the server's current time (UTC, ISO 8601)\n"
    "- demo_get_help: this text\n"
    "- whoami (built in): who the gateway thinks you are\n";

class Demo : public PrimitiveProvider {
 public:
  Demo(const Json& config, Host host) : PrimitiveProvider(host) {
    const std::string greeting = config.value("greeting", std::string("Hello from Portcullis!"));

    addTool({{"name", "demo_echo"},
             {"title", "Echo"},
             {"description", "Returns the text it is given."},
             {"inputSchema",
              {{"type", "object"},
               {"properties", {{"text", {{"type", "string"}, {"description", "Text to echo back"}}}}},
               {"required", {"text"}},
               {"additionalProperties", false}}},
             {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}},
            [](const Json& args, Call&) { return textResult(args.at("text").get<std::string>()); });

    addTool({{"name", "demo_get_time"},
             {"title", "Current time"},
             {"description", "Returns the server's current time in UTC (ISO 8601)."},
             {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}},
            [](const Json&, Call&) { return textResult(utcNow()); });

    addTool({{"name", "demo_get_help"},
             {"title", "Help"},
             {"description", "Explains the demo tools."},
             {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}},
            [](const Json&, Call&) { return textResult(kHelp); });

    addResource({{"uri", "demo://readme"},
                 {"name", "readme"},
                 {"title", "Demo README"},
                 {"description", "What the demo plugin offers."},
                 {"mimeType", "text/markdown"}},
                [](const std::string& uri, Call&) {
                  return textContents(uri, "text/markdown", std::string("# Portcullis demo\n\n") + kHelp);
                });

    addPrompt({{"name", "demo_greeting"},
               {"title", "Greeting"},
               {"description", "Greets someone by name."},
               {"arguments", Json::array({{{"name", "name"},
                                           {"description", "Who to greet"},
                                           {"required", true}}})}},
              [greeting](const Json& args, Call&) {
                const std::string name = args.value("name", std::string("friend"));
                return Json{{"description", "A greeting"},
                            {"messages", Json::array({message(
                                             "user", textBlock(greeting + " Please greet " + name +
                                                               " warmly."))})}};
              });

    setCompleter([](const Json& params, Call&) {
      // Suggests a few names for demo_greeting's argument.
      static const std::vector<std::string> names{"Ada", "Alan", "Grace", "Linus"};
      const std::string prefix = params.value("/argument/value"_json_pointer, std::string());
      Json values = Json::array();
      for (const auto& n : names) {
        if (n.compare(0, prefix.size(), prefix) == 0) values.push_back(n);
      }
      return Json{{"values", values}, {"total", values.size()}, {"hasMore", false}};
    });
  }
};

}  // namespace

PORTCULLIS_PLUGIN(Demo, PC_KIND_PRIMITIVES, "demo", "1.0.0", kConfigSchema)
