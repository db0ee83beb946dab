#include "core/common/json_schema.hpp"

#include <cmath>
#include <optional>
#include <stdexcept>

#include "core/common/pattern.hpp"
#include "core/common/text.hpp"

namespace portcullis::common {

namespace {

using json::ObjectPtr;
using json::Value;

std::string join(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

std::string typeOf(const Value& v) {
  if (json::isNull(v)) return "null";
  if (json::isBool(v)) return "boolean";
  if (json::isInteger(v)) return "integer";
  if (json::isNumber(v)) return "number";
  if (json::isString(v)) return "string";
  if (json::isArray(v)) return "array";
  if (json::isObject(v)) return "object";
  return "unknown";
}

bool hasType(const Value& v, const std::string& type) {
  if (type == "number") return json::isNumber(v);
  if (type == "integer") {
    if (json::isInteger(v)) return true;
    if (json::isNumber(v)) {
      const double d = v.convert<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
  }
  return typeOf(v) == type;
}

// JSON equality: numbers by value, objects regardless of member order.
bool equalValues(const Value& a, const Value& b) {
  if (json::isNumber(a) && json::isNumber(b)) return a.convert<double>() == b.convert<double>();
  if (typeOf(a) != typeOf(b)) return false;
  if (auto oa = json::asObject(a)) {
    auto ob = json::asObject(b);
    if (oa->size() != ob->size()) return false;
    std::vector<std::string> names;
    oa->getNames(names);
    for (const auto& name : names) {
      if (!ob->has(name) || !equalValues(oa->get(name), ob->get(name))) return false;
    }
    return true;
  }
  if (auto aa = json::asArray(a)) {
    auto ab = json::asArray(b);
    if (aa->size() != ab->size()) return false;
    for (unsigned i = 0; i < aa->size(); ++i) {
      if (!equalValues(aa->get(i), ab->get(i))) return false;
    }
    return true;
  }
  return json::stringify(a) == json::stringify(b);
}

// UTF-8 code points, which is what JSON Schema lengths count.
size_t codePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

class Validator {
 public:
  Validator(const Value& root, size_t maxIssues) : root_(root), max_(maxIssues) {}

  void check(const Value& schema, const Value& instance, const std::string& path, int depth) {
    if (issues.size() >= max_) return;
    if (depth > 64) {
      add(path, "schema nesting too deep");
      return;
    }
    if (json::isBool(schema)) {
      if (!schema.extract<bool>()) add(path, "no value is allowed here");
      return;
    }
    ObjectPtr s = json::asObject(schema);
    if (!s) return;

    if (auto ref = json::getString(s, "$ref")) {
      const std::optional<Value> target = resolve(*ref);
      if (!target) {
        add(path, "schema reference " + *ref + " cannot be resolved");
      } else {
        check(*target, instance, path, depth + 1);
      }
    }

    if (s->has("type") && !checkType(s->get("type"), instance, path)) return;

    if (auto values = json::getArray(s, "enum")) {
      bool found = false;
      for (const auto& candidate : *values) found = found || equalValues(candidate, instance);
      if (!found) add(path, "must be one of " + json::stringify(values));
    }
    if (s->has("const") && !equalValues(s->get("const"), instance)) {
      add(path, "must be " + json::stringify(s->get("const")));
    }

    if (json::isString(instance)) checkString(s, instance.extract<std::string>(), path);
    if (json::isNumber(instance)) checkNumber(s, instance.convert<double>(), path);
    if (auto object = json::asObject(instance)) checkObject(s, object, path, depth);
    if (auto array = json::asArray(instance)) checkArray(s, array, path, depth);

    if (auto all = json::getArray(s, "allOf")) {
      for (const auto& sub : *all) check(sub, instance, path, depth + 1);
    }
    if (auto any = json::getArray(s, "anyOf")) {
      bool ok = false;
      for (const auto& sub : *any) ok = ok || passes(sub, instance, path, depth);
      if (!ok) add(path, "does not match any of the allowed forms");
    }
    if (auto one = json::getArray(s, "oneOf")) {
      int matches = 0;
      for (const auto& sub : *one) matches += passes(sub, instance, path, depth) ? 1 : 0;
      if (matches != 1) add(path, "must match exactly one of the allowed forms");
    }
    if (s->has("not") && passes(s->get("not"), instance, path, depth)) {
      add(path, "matches a form that is not allowed");
    }
  }

  std::vector<SchemaIssue> issues;

 private:
  void add(const std::string& path, std::string message) {
    if (issues.size() < max_) issues.push_back({path, std::move(message)});
  }

  bool passes(const Value& schema, const Value& instance, const std::string& path, int depth) {
    Validator sub(root_, 1);
    sub.check(schema, instance, path, depth + 1);
    return sub.issues.empty();
  }

  std::optional<Value> resolve(const std::string& ref) {
    if (ref == "#") return std::optional<Value>(std::in_place, root_);
    if (!startsWith(ref, "#/")) return std::nullopt;
    Value current = root_;
    for (const auto& part : split(ref.substr(2), '/')) {
      ObjectPtr o = json::asObject(current);
      if (!o || !o->has(part)) return std::nullopt;
      current = o->get(part);
    }
    return std::optional<Value>(std::in_place, current);
  }

  bool checkType(const Value& type, const Value& instance, const std::string& path) {
    std::vector<std::string> allowed;
    if (json::isString(type)) allowed.push_back(type.extract<std::string>());
    if (auto list = json::asArray(type)) {
      for (const auto& t : *list) {
        if (json::isString(t)) allowed.push_back(t.extract<std::string>());
      }
    }
    for (const auto& t : allowed) {
      if (hasType(instance, t)) return true;
    }
    std::string expected;
    for (const auto& t : allowed) expected += (expected.empty() ? "" : " or ") + t;
    add(path, "must be " + expected + ", not " + typeOf(instance));
    return false;
  }

  void checkString(const ObjectPtr& s, const std::string& value, const std::string& path) {
    const size_t length = codePoints(value);
    if (auto min = json::getInt(s, "minLength"); min && length < static_cast<size_t>(*min)) {
      add(path, "must be at least " + std::to_string(*min) + " characters");
    }
    if (auto max = json::getInt(s, "maxLength"); max && length > static_cast<size_t>(*max)) {
      add(path, "must be at most " + std::to_string(*max) + " characters");
    }
    if (auto pattern = json::getString(s, "pattern")) {
      switch (Pattern::search(*pattern, value)) {
        case Pattern::Result::Match:
          break;
        case Pattern::Result::NoMatch:
          add(path, "must match the pattern " + *pattern);
          break;
        case Pattern::Result::TooComplex:
          add(path, "could not be checked against the pattern " + *pattern + " (too much work)");
          break;
        case Pattern::Result::Invalid: {
          const std::string why = Pattern::error(*pattern);
          add(path, why.empty() ? "is not valid UTF-8"
                                : "the schema's pattern " + *pattern + " is not a valid regular expression: " + why);
          break;
        }
      }
    }
    if (auto format = json::getString(s, "format"); format && *format == "duration") {
      if (!parseDuration(value)) add(path, "must be a duration such as 250ms, 15s, 10m, 1h or 30d");
    }
  }

  void checkNumber(const ObjectPtr& s, double value, const std::string& path) {
    auto limit = [&](const char* key) { return json::getNumber(s, key); };
    if (auto v = limit("minimum"); v && value < *v) add(path, "must be at least " + json::stringify(s->get("minimum")));
    if (auto v = limit("maximum"); v && value > *v) add(path, "must be at most " + json::stringify(s->get("maximum")));
    if (auto v = limit("exclusiveMinimum"); v && value <= *v) add(path, "must be greater than " + json::stringify(s->get("exclusiveMinimum")));
    if (auto v = limit("exclusiveMaximum"); v && value >= *v) add(path, "must be less than " + json::stringify(s->get("exclusiveMaximum")));
  }

  void checkObject(const ObjectPtr& s, const ObjectPtr& object, const std::string& path, int depth) {
    if (auto required = json::getArray(s, "required")) {
      for (const auto& name : *required) {
        if (json::isString(name) && !object->has(name.extract<std::string>())) {
          add(join(path, name.extract<std::string>()), "is required");
        }
      }
    }
    ObjectPtr properties = json::getObject(s, "properties");
    std::vector<std::string> names;
    object->getNames(names);
    for (const auto& name : names) {
      const std::string childPath = join(path, name);
      if (properties && properties->has(name)) {
        check(properties->get(name), object->get(name), childPath, depth + 1);
      } else if (s->has("additionalProperties")) {
        const Value& extra = s->get("additionalProperties");
        if (json::isBool(extra) && !extra.extract<bool>()) {
          add(childPath, "unknown key");
        } else {
          check(extra, object->get(name), childPath, depth + 1);
        }
      }
    }
    if (auto min = json::getInt(s, "minProperties"); min && names.size() < static_cast<size_t>(*min)) {
      add(path, "must have at least " + std::to_string(*min) + " members");
    }
    if (auto max = json::getInt(s, "maxProperties"); max && names.size() > static_cast<size_t>(*max)) {
      add(path, "must have at most " + std::to_string(*max) + " members");
    }
  }

  void checkArray(const ObjectPtr& s, const json::ArrayPtr& array, const std::string& path, int depth) {
    if (auto min = json::getInt(s, "minItems"); min && array->size() < static_cast<size_t>(*min)) {
      add(path, "must have at least " + std::to_string(*min) + " items");
    }
    if (auto max = json::getInt(s, "maxItems"); max && array->size() > static_cast<size_t>(*max)) {
      add(path, "must have at most " + std::to_string(*max) + " items");
    }
    if (s->has("items")) {
      for (size_t i = 0; i < array->size(); ++i) {
        check(s->get("items"), array->get(static_cast<unsigned>(i)),
              path + "[" + std::to_string(i) + "]", depth + 1);
      }
    }
    if (json::getBool(s, "uniqueItems").value_or(false)) {
      for (size_t i = 0; i < array->size(); ++i) {
        for (size_t j = i + 1; j < array->size(); ++j) {
          if (equalValues(array->get(static_cast<unsigned>(i)), array->get(static_cast<unsigned>(j)))) {
            add(path, "items must be unique");
            return;
          }
        }
      }
    }
  }

  const Value& root_;
  size_t max_;
};

}  // namespace

JsonSchema::JsonSchema(json::Value schema) : schema_(std::move(schema)) {
  if (!json::isObject(schema_) && !json::isBool(schema_)) {
    throw std::invalid_argument("a JSON Schema must be an object or a boolean");
  }
}

JsonSchema JsonSchema::fromText(const std::string& text) { return JsonSchema(json::parse(text)); }

std::vector<SchemaIssue> JsonSchema::validate(const json::Value& instance, const std::string& rootPath,
                                              size_t maxIssues) const {
  Validator validator(schema_, maxIssues);
  validator.check(schema_, instance, rootPath, 0);
  return std::move(validator.issues);
}

}  // namespace portcullis::common
