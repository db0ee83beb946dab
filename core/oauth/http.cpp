#include "core/oauth/http.hpp"

#include "core/common/text.hpp"

namespace portcullis::oauth {

std::optional<std::string> HttpRequest::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (common::iequals(n, name)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::cookie(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (!common::iequals(n, "Cookie")) continue;
    for (const auto& part : common::split(v, ';')) {
      const std::string item(common::trim(part));
      const size_t eq = item.find('=');
      if (eq != std::string::npos && item.substr(0, eq) == name) return item.substr(eq + 1);
    }
  }
  return std::nullopt;
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}
}  // namespace

bool parseForm(const std::string& text, Pairs& out) {
  out.clear();
  if (text.empty()) return true;
  for (const auto& part : common::split(text, '&')) {
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string name;
    std::string value;
    if (!decode(std::string_view(part).substr(0, eq), name)) return false;
    if (eq != std::string::npos && !decode(std::string_view(part).substr(eq + 1), value)) return false;
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) return false;
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

std::string formEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> single(const Pairs& pairs, const std::string& name, bool& duplicate) {
  std::optional<std::string> found;
  for (const auto& [n, v] : pairs) {
    if (n != name) continue;
    if (found) duplicate = true;
    found = v;
  }
  return found;
}

}  // namespace portcullis::oauth
