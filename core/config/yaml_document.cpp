#include "core/config/yaml_document.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/common/error.hpp"

namespace portcullis::config {

namespace json = common::json;

int YamlDocument::lineOf(const std::string& path) const {
  std::string p = path;
  while (true) {
    if (auto it = lines.find(p); it != lines.end()) return it->second;
    const size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  if (auto it = lines.find(""); it != lines.end()) return it->second;
  return 0;
}

namespace {

// [-+]?[0-9]+
bool looksInteger(std::string_view t) {
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  return !t.empty() && std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool looksNumber(std::string_view t) {
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  size_t i = 0;
  size_t digits = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    const size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start) return false;
  }
  return i == t.size();
}

class Converter {
 public:
  explicit Converter(YamlDocument& doc) : doc_(doc) {}

  json::Value convert(const YAML::Node& node, const std::string& path) {
    doc_.lines[path] = node.Mark().line + 1;
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return json::Value();
      case YAML::NodeType::Scalar:
        return scalar(node, path);
      case YAML::NodeType::Sequence: {
        json::ArrayPtr array = json::makeArray();
        size_t i = 0;
        for (const auto& item : node) {
          array->add(convert(item, path + "[" + std::to_string(i++) + "]"));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        json::ObjectPtr object = json::makeObject();
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) {
            fail(path, entry.first.Mark().line + 1, "keys must be plain strings");
            continue;
          }
          const std::string key = entry.first.Scalar();
          const std::string childPath = path.empty() ? key : path + "." + key;
          if (object->has(key)) {
            fail(childPath, entry.first.Mark().line + 1, "duplicate key");
            continue;
          }
          object->set(key, convert(entry.second, childPath));
          doc_.lines[childPath] = entry.first.Mark().line + 1;
        }
        return object;
      }
    }
    return json::Value();
  }

  std::vector<common::ConfigIssue> issues;

 private:
  void fail(const std::string& path, int line, std::string message) {
    issues.push_back({path, line, std::move(message)});
  }

  std::string expand(const std::string& text, const std::string& path, int line) {
    static const std::regex reference(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\})");
    std::string out;
    auto begin = std::sregex_iterator(text.begin(), text.end(), reference);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      out.append(text, last, static_cast<size_t>(m.position(0)) - last);
      const char* value = std::getenv(m[1].str().c_str());
      if (value != nullptr && *value != '\0') {
        out += value;
      } else if (m[2].matched) {
        out += m[3].str();
      } else {
        fail(path, line, "environment variable " + m[1].str() + " is not set");
      }
      last = static_cast<size_t>(m.position(0) + m.length(0));
    }
    out.append(text, last, std::string::npos);
    return out;
  }

  json::Value scalar(const YAML::Node& node, const std::string& path) {
    const int line = node.Mark().line + 1;
    const bool plain = node.Tag() == "?";
    const std::string raw = node.Scalar();
    const std::string text = raw.find("${") == std::string::npos ? raw : expand(raw, path, line);
    if (!plain) return text;
    static const std::set<std::string> nulls{"~", "null", "Null", "NULL", ""};
    static const std::set<std::string> trues{"true", "True", "TRUE"};
    static const std::set<std::string> falses{"false", "False", "FALSE"};
    if (nulls.count(text) != 0U) return json::Value();
    if (trues.count(text) != 0U) return true;
    if (falses.count(text) != 0U) return false;
    try {
      if (looksInteger(text)) return static_cast<int64_t>(std::stoll(text));
      if (looksNumber(text)) return std::stod(text);
    } catch (const std::out_of_range&) {
      fail(path, line, "number out of range");
    }
    return text;
  }

  YamlDocument& doc_;
};

}  // namespace

YamlDocument parseYaml(const std::string& text, const std::string& fileName) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw common::ConfigError(fileName, {{"", e.mark.line + 1, "YAML syntax error: " + e.msg}});
  }
  YamlDocument doc;
  Converter converter(doc);
  doc.value = converter.convert(root, "");
  if (!converter.issues.empty()) throw common::ConfigError(fileName, converter.issues);
  return doc;
}

}  // namespace portcullis::config
