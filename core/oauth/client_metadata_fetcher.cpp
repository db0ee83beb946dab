#include "core/oauth/client_metadata_fetcher.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>

#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "core/oauth/tls_client.hpp"

namespace portcullis::oauth {

namespace json = common::json;

namespace {

struct UrlParts {
  std::string host;
  uint16_t port = 443;
  std::string pathAndQuery;
};

std::optional<UrlParts> parseHttpsUrl(const std::string& url) {
  if (!common::startsWith(url, "https://")) return std::nullopt;
  const std::string rest = url.substr(8);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  const std::string authority = rest.substr(0, slash);
  // Userinfo and backslashes are where URL parsers disagree; refuse them.
  if (authority.find_first_of("@\\ ") != std::string::npos) return std::nullopt;
  UrlParts parts;
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    parts.host = authority.substr(0, colon);
    const std::string digits = authority.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;  // "443abc", "+443" and " 443" are not ports
    }
    try {
      const int port = std::stoi(authority.substr(colon + 1));
      if (port < 1 || port > 65535) return std::nullopt;
      parts.port = static_cast<uint16_t>(port);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  } else {
    parts.host = authority;
  }
  parts.host = common::toLower(parts.host);
  if (parts.host.empty() || parts.host.front() == '[') return std::nullopt;  // no IPv6 literals
  parts.pathAndQuery = rest.substr(slash);
  return parts;
}

bool inRange4(uint32_t address, const char* network, int bits) {
  in_addr n{};
  inet_pton(AF_INET, network, &n);
  const uint32_t mask = bits == 0 ? 0 : 0xFFFFFFFFu << (32 - bits);
  return (address & mask) == (ntohl(n.s_addr) & mask);
}

bool special4(uint32_t a) {
  static const std::pair<const char*, int> kRanges[] = {
      {"0.0.0.0", 8},     {"10.0.0.0", 8},      {"100.64.0.0", 10},  {"127.0.0.0", 8},
      {"169.254.0.0", 16}, {"172.16.0.0", 12},  {"192.0.0.0", 24},   {"192.0.2.0", 24},
      {"192.88.99.0", 24}, {"192.168.0.0", 16}, {"198.18.0.0", 15},  {"198.51.100.0", 24},
      {"203.0.113.0", 24}, {"224.0.0.0", 4},    {"240.0.0.0", 4},
  };
  return std::any_of(std::begin(kRanges), std::end(kRanges),
                     [a](const auto& r) { return inRange4(a, r.first, r.second); });
}

}  // namespace

bool ClientMetadataFetcher::isSpecialUse(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return special4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return true;  // not an address: refuse
  const unsigned char* b = v6.s6_addr;
  static const unsigned char kZero[16] = {0};
  if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible addresses: judge the IPv4 part.
  const bool mapped = std::memcmp(b, kZero, 10) == 0 && b[10] == 0xFF && b[11] == 0xFF;
  const bool compatible = std::memcmp(b, kZero, 12) == 0;
  if (mapped || compatible) {
    return special4((uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) | (uint32_t(b[14]) << 8) | b[15]);
  }
  if ((b[0] & 0xFE) == 0xFC) return true;                  // fc00::/7 unique local
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;  // fe80::/10 link-local
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return true;  // fec0::/10 site-local
  if (b[0] == 0xFF) return true;                           // multicast
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return true;  // documentation
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) return true;  // NAT64
  if (b[0] == 0x20 && b[1] == 0x02) return true;                                   // 6to4
  return false;
}

bool ClientMetadataFetcher::isMetadataUrl(const std::string& clientId) {
  auto parts = parseHttpsUrl(clientId);
  if (!parts) return false;
  const std::string& path = parts->pathAndQuery;
  if (path == "/" || path.find_first_of("?#") != std::string::npos) return false;
  for (const auto& segment : common::split(path, '/')) {
    if (segment == "." || segment == "..") return false;
  }
  return clientId.size() <= 2048;
}

namespace {
constexpr std::chrono::seconds kDefaultFreshness(300);
}  // namespace

FetchedDocument ClientMetadataFetcher::fetch(const std::string& url) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(url);
    if (it != cache_.end() && it->second.until > now) return {true, it->second.document, {}};
  }
  std::chrono::seconds maxAge(0);
  FetchedDocument result = download(url, maxAge);
  if (!result.ok) {
    common::logger("oauth").warning("client metadata %s refused: %s", url, result.error);
    return result;
  }
  // The document must name itself.
  if (json::getString(result.document, "client_id") != std::optional<std::string>(url)) {
    return {false, {}, "the document's client_id is not its own URL"};
  }
  if (maxAge.count() > 0) {
    std::lock_guard lock(mutex_);
    if (cache_.size() > 1000) cache_.clear();
    cache_[url] = Cached{result.document, now + std::min(maxAge, std::chrono::seconds(86'400))};
  }
  return result;
}

FetchedDocument ClientMetadataFetcher::download(const std::string& url, std::chrono::seconds& maxAge) {
  const auto started = std::chrono::steady_clock::now();
  if (!isMetadataUrl(url)) return {false, {}, "not an https URL with a path"};
  const UrlParts parts = *parseHttpsUrl(url);
  const bool allowed =
      std::find(options_.allowHosts.begin(), options_.allowHosts.end(), parts.host) != options_.allowHosts.end();

  // Resolve once and connect to the address that was checked, so DNS cannot
  // answer differently between the check and the connection.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(parts.host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return {false, {}, "the host name does not resolve"};
  }
  std::string address;
  bool refused = false;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    if (isSpecialUse(text) && !allowed) {
      refused = true;
      continue;
    }
    if (address.empty()) address = text;
  }
  freeaddrinfo(found);
  if (address.empty()) {
    return {false, {}, refused ? "the host resolves to a private or special-use address" : "no usable address"};
  }

  try {
    Poco::Net::Context::Ptr context = verifyingClientContext(options_.caFile);
    // The certificate is checked against the name in the URL, while the
    // session connects to the checked address literally (no second lookup).
    // Poco wants the socket unconnected here: the session connects it.
    Poco::Net::SecureStreamSocket socket(context);
    socket.setPeerHostName(parts.host);
    const Poco::Timespan timeout(std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout).count());
    Poco::Net::HTTPSClientSession session(socket);
    session.setHost(address);
    session.setPort(parts.port);
    session.setTimeout(timeout);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, parts.pathAndQuery,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(parts.host, parts.port);
    request.set("Accept", "application/json");
    request.set("User-Agent", "portcullis");
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      // Redirects are not followed: the document must be at its own URL.
      return {false, {}, "the server answered " + std::to_string(static_cast<int>(response.getStatus()))};
    }
    // The timeout bounds each read and the whole download: a server that
    // sends a byte now and then must not hold this thread for hours.
    const auto deadline = started + options_.timeout;
    std::string body;
    for (int c = 0; body.size() <= options_.maxBytes && (c = in.get()) != std::char_traits<char>::eof();) {
      body += static_cast<char>(c);
      if (std::chrono::steady_clock::now() > deadline) return {false, {}, "the document took longer than the time limit"};
    }
    if (body.size() > options_.maxBytes) return {false, {}, "the document is larger than the limit"};
    FetchedDocument out;
    out.document = json::parseObject(body);
    out.ok = true;
    const std::string cacheControl = common::toLower(response.get("Cache-Control", ""));
    if (cacheControl.find("no-store") == std::string::npos && cacheControl.find("no-cache") == std::string::npos) {
      // Without a stated lifetime, a short one: a sign-in looks the client
      // up several times, and each look-up must not be a download.
      maxAge = kDefaultFreshness;
      const size_t at = cacheControl.find("max-age=");
      if (at != std::string::npos) {
        try {
          maxAge = std::chrono::seconds(std::stol(cacheControl.substr(at + 8)));
        } catch (const std::exception&) {
        }
      }
    }
    return out;
  } catch (const json::ParseError& e) {
    return {false, {}, std::string("the document is not a JSON object: ") + e.what()};
  } catch (const Poco::Exception& e) {
    return {false, {}, e.displayText()};
  }
}

}  // namespace portcullis::oauth
