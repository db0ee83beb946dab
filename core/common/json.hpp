#pragma once
// Strict JSON on top of Poco::JSON. Poco's parser accepts raw NUL bytes and
// silently keeps the last of duplicate keys; both are ways to make two
// components disagree about one message, so parse() rejects them.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace portcullis::common::json {

using Value = Poco::Dynamic::Var;
using Object = Poco::JSON::Object;
using ObjectPtr = Poco::JSON::Object::Ptr;
using Array = Poco::JSON::Array;
using ArrayPtr = Poco::JSON::Array::Ptr;

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ParseLimits {
  int maxDepth = 64;
};

// Parses one JSON text. Throws ParseError.
Value parse(std::string_view text, const ParseLimits& limits = {});
// Parses a JSON text that must be an object.
ObjectPtr parseObject(std::string_view text, const ParseLimits& limits = {});

// Compact serialisation.
std::string stringify(const Value& value);
std::string stringify(const ObjectPtr& object);
std::string stringify(const ArrayPtr& array);
// Appends the JSON form of a string (quoted and escaped) to out.
void appendQuoted(std::string& out, std::string_view text);

ObjectPtr makeObject();
ArrayPtr makeArray();

// Type tests that do not convert: "1" is a string, not an integer.
bool isNull(const Value& v);
bool isString(const Value& v);
bool isBool(const Value& v);
bool isInteger(const Value& v);  // an integral JSON number
bool isNumber(const Value& v);   // any JSON number
bool isObject(const Value& v);
bool isArray(const Value& v);

ObjectPtr asObject(const Value& v);  // nullptr unless v is an object
ArrayPtr asArray(const Value& v);    // nullptr unless v is an array

// Member access; nullopt / nullptr when the member is absent or of another type.
ObjectPtr getObject(const ObjectPtr& o, const std::string& key);
ArrayPtr getArray(const ObjectPtr& o, const std::string& key);
std::optional<std::string> getString(const ObjectPtr& o, const std::string& key);
std::optional<int64_t> getInt(const ObjectPtr& o, const std::string& key);
std::optional<double> getNumber(const ObjectPtr& o, const std::string& key);
std::optional<bool> getBool(const ObjectPtr& o, const std::string& key);

// A deep copy, so that a shared definition can be stamped without races.
ObjectPtr clone(const ObjectPtr& o);
Value cloneValue(const Value& v);

}  // namespace portcullis::common::json
