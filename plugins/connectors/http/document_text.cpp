#include "document_text.hpp"

#include <yaml-cpp/yaml.h>

namespace portcullis::http {

namespace {

// YAML documents nest about as deep as their JSON equivalents; deeper is hostile.
constexpr int kMaxYamlDepth = 256;
// Aliases let a small YAML text stand for a huge tree; stop well before that.
constexpr size_t kMaxYamlNodes = 2'000'000;

Json scalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // A quoted scalar ("!" tag) is always a string.
  if (node.Tag() == "!") return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const Json number = Json::parse(text, nullptr, false);
  if (number.is_number()) return number;
  return text;
}

Json yamlToJson(const YAML::Node& node, int depth, size_t& nodes) {
  if (++nodes > kMaxYamlNodes) throw ConfigError("the document expands to more than " + std::to_string(kMaxYamlNodes) + " nodes");
  if (depth > kMaxYamlDepth) throw ConfigError("the document nests deeper than " + std::to_string(kMaxYamlDepth));
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(yamlToJson(item, depth + 1, nodes));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node) {
        // Paths such as "/pets" and response codes such as 200 are keys.
        out[item.first.as<std::string>()] = yamlToJson(item.second, depth + 1, nodes);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Json parseDocumentText(const std::string& text, const std::string& source) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    try {
      return Json::parse(text);
    } catch (const Json::parse_error& e) {
      throw ConfigError(source + " is not valid JSON: " + e.what());
    }
  }
  try {
    size_t nodes = 0;
    return yamlToJson(YAML::Load(text), 0, nodes);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + " is neither JSON nor valid YAML: " + e.what());
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
}

}  // namespace portcullis::http
