#include "core/common/json.hpp"

#include <sstream>
#include <vector>

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace portcullis::common::json {

namespace {

// Rejects duplicate keys within one object.
class StrictHandler : public Poco::JSON::ParseHandler {
 public:
  StrictHandler() : ParseHandler(true) {}

  void startObject() override {
    keys_.emplace_back();
    ParseHandler::startObject();
  }
  void endObject() override {
    if (!keys_.empty()) keys_.pop_back();
    ParseHandler::endObject();
  }
  void key(const std::string& k) override {
    if (!keys_.empty()) {
      auto& seen = keys_.back();
      for (const auto& s : seen) {
        if (s == k) throw ParseError("duplicate key \"" + k + "\"");
      }
      seen.push_back(k);
    }
    ParseHandler::key(k);
  }

 private:
  std::vector<std::vector<std::string>> keys_;
};

}  // namespace

Value parse(std::string_view text, const ParseLimits& limits) {
  if (text.find('\0') != std::string_view::npos) throw ParseError("NUL byte in JSON text");
  Poco::JSON::Parser parser(new StrictHandler());
  parser.setAllowComments(false);
  // Raw NUL bytes were refused above; an escaped \u0000 is valid JSON.
  parser.setAllowNullByte(true);
  parser.setDepth(static_cast<std::size_t>(limits.maxDepth));
  try {
    // Poco's handler cannot hold a scalar at the top level; parse it as the
    // only element of an array instead.
    size_t first = 0;
    while (first < text.size() && (text[first] == ' ' || text[first] == '\t' || text[first] == '\n' ||
                                   text[first] == '\r')) {
      ++first;
    }
    if (first < text.size() && text[first] != '{' && text[first] != '[') {
      ArrayPtr wrapped = asArray(parser.parse("[" + std::string(text) + "]"));
      if (!wrapped || wrapped->size() != 1) throw ParseError("expected one JSON value");
      return wrapped->get(0);
    }
    return parser.parse(std::string(text));
  } catch (const ParseError&) {
    throw;
  } catch (const Poco::Exception& e) {
    throw ParseError(e.displayText());
  } catch (const std::exception& e) {
    throw ParseError(e.what());
  }
}

ObjectPtr parseObject(std::string_view text, const ParseLimits& limits) {
  ObjectPtr o = asObject(parse(text, limits));
  if (!o) throw ParseError("expected a JSON object");
  return o;
}

std::string stringify(const Value& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

std::string stringify(const ObjectPtr& object) {
  std::ostringstream out;
  object->stringify(out, 0);
  return out.str();
}

std::string stringify(const ArrayPtr& array) {
  std::ostringstream out;
  array->stringify(out, 0);
  return out.str();
}

void appendQuoted(std::string& out, std::string_view text) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

ObjectPtr makeObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }
ArrayPtr makeArray() { return new Array(); }

bool isNull(const Value& v) { return v.isEmpty(); }
bool isString(const Value& v) { return !v.isEmpty() && v.isString(); }
bool isBool(const Value& v) { return !v.isEmpty() && v.isBoolean(); }
bool isInteger(const Value& v) { return !v.isEmpty() && v.isInteger() && !v.isBoolean(); }
bool isNumber(const Value& v) { return !v.isEmpty() && v.isNumeric() && !v.isBoolean(); }
bool isObject(const Value& v) { return !v.isEmpty() && v.type() == typeid(ObjectPtr); }
bool isArray(const Value& v) { return !v.isEmpty() && v.type() == typeid(ArrayPtr); }

ObjectPtr asObject(const Value& v) { return isObject(v) ? v.extract<ObjectPtr>() : ObjectPtr(); }
ArrayPtr asArray(const Value& v) { return isArray(v) ? v.extract<ArrayPtr>() : ArrayPtr(); }

ObjectPtr getObject(const ObjectPtr& o, const std::string& key) {
  if (!o || !o->has(key)) return {};
  return asObject(o->get(key));
}

ArrayPtr getArray(const ObjectPtr& o, const std::string& key) {
  if (!o || !o->has(key)) return {};
  return asArray(o->get(key));
}

std::optional<std::string> getString(const ObjectPtr& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  const Value& v = o->get(key);
  if (!isString(v)) return std::nullopt;
  return v.extract<std::string>();
}

std::optional<int64_t> getInt(const ObjectPtr& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  const Value& v = o->get(key);
  if (!isInteger(v)) return std::nullopt;
  try {
    return v.convert<int64_t>();
  } catch (const Poco::Exception&) {
    return std::nullopt;  // beyond the range of int64
  }
}

std::optional<double> getNumber(const ObjectPtr& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  const Value& v = o->get(key);
  if (!isNumber(v)) return std::nullopt;
  return v.convert<double>();
}

std::optional<bool> getBool(const ObjectPtr& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  const Value& v = o->get(key);
  if (!isBool(v)) return std::nullopt;
  return v.extract<bool>();
}

Value cloneValue(const Value& v) {
  if (isObject(v)) return clone(v.extract<ObjectPtr>());
  if (isArray(v)) {
    ArrayPtr src = v.extract<ArrayPtr>();
    ArrayPtr copy = makeArray();
    for (const auto& item : *src) copy->add(cloneValue(item));
    return copy;
  }
  return v;
}

ObjectPtr clone(const ObjectPtr& o) {
  if (!o) return {};
  ObjectPtr copy = makeObject();
  std::vector<std::string> names;
  o->getNames(names);
  for (const auto& name : names) copy->set(name, cloneValue(o->get(name)));
  return copy;
}

}  // namespace portcullis::common::json
