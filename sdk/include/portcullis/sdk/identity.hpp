#pragma once
// IdentityProvider: the base class of a plugin that signs users in. The
// server owns the pages, the user directory and the tokens; the plugin
// renders its form fields, checks what was submitted, and handles the
// administrative commands the CLI sends (setting a password, ...).

#include <string>

#include "portcullis/plugin_abi.h"
#include "portcullis/sdk/call.hpp"
#include "portcullis/sdk/entry.hpp"

namespace portcullis::sdk {

class IdentityProvider {
 public:
  explicit IdentityProvider(Host host) : host_(host) {}
  virtual ~IdentityProvider() = default;
  IdentityProvider(const IdentityProvider&) = delete;
  IdentityProvider& operator=(const IdentityProvider&) = delete;

  // The HTML of the form's fields. context: {"username"?, "error"?}.
  virtual std::string loginForm(const Json& context) = 0;
  // {"status":"ok","username",...} or {"status":"denied","message"}.
  virtual Json authenticate(const Json& fields) = 0;
  // {"command": ...}; throw RpcError (or any exception) to refuse.
  virtual Json admin(const Json& command) { throw RpcError(codes::kMethodNotFound, "unknown command"); }

  Host& host() { return host_; }

 private:
  Host host_;
};

// Escapes text for HTML element content and attribute values.
inline std::string htmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace detail {

struct IdentityInstance {
  Host host;
  std::unique_ptr<IdentityProvider> provider;
};

template <typename Provider>
int32_t createIdentity(const pc_host* host, pc_string config, void** instance, pc_buffer* error) {
  try {
    const Json parsed = config.size == 0 ? Json::object() : Json::parse(std::string(config.data, config.size));
    auto made = std::make_unique<IdentityInstance>(IdentityInstance{Host(host), nullptr});
    made->provider = std::make_unique<Provider>(parsed, made->host);
    *instance = made.release();
    return PC_OK;
  } catch (const std::exception& e) {
    write(error, e.what());
  } catch (...) {
    write(error, "unknown exception during create");
  }
  return PC_ERROR;
}

inline void destroyIdentity(void* instance) {
  try {
    delete static_cast<IdentityInstance*>(instance);
  } catch (...) {
  }
}

template <typename F>
int32_t identityCall(pc_string input, pc_buffer* out, F&& f) {
  try {
    const Json parsed = input.size == 0 ? Json::object() : Json::parse(std::string(input.data, input.size));
    write(out, f(parsed));
    return PC_OK;
  } catch (const RpcError& e) {
    writeError(out, e.code(), e.what(), e.data());
  } catch (const std::exception& e) {
    writeError(out, codes::kInternalError, e.what());
  } catch (...) {
    writeError(out, codes::kInternalError, "unknown exception");
  }
  return PC_ERROR;
}

inline int32_t identityLoginForm(void* instance, pc_string context, pc_buffer* out) {
  return identityCall(context, out, [&](const Json& c) {
    return static_cast<IdentityInstance*>(instance)->provider->loginForm(c);
  });
}

inline int32_t identityAuthenticate(void* instance, pc_string fields, pc_buffer* out) {
  return identityCall(fields, out, [&](const Json& f) {
    return static_cast<IdentityInstance*>(instance)->provider->authenticate(f).dump();
  });
}

inline int32_t identityAdmin(void* instance, pc_string command, pc_buffer* out) {
  return identityCall(command, out, [&](const Json& c) {
    return static_cast<IdentityInstance*>(instance)->provider->admin(c).dump();
  });
}

template <typename Provider>
const pc_plugin* describeIdentity(const char* name, const char* version, const char* configSchema) {
  static const pc_identity identity{sizeof(pc_identity), &identityLoginForm, &identityAuthenticate, &identityAdmin};
  static const pc_plugin plugin{PORTCULLIS_ABI_MAGIC,
                                PORTCULLIS_ABI_MAJOR,
                                PORTCULLIS_ABI_MINOR,
                                sizeof(pc_plugin),
                                PC_KIND_IDENTITY,
                                name,
                                version,
                                configSchema,
                                &createIdentity<Provider>,
                                &destroyIdentity,
                                nullptr,
                                &identity,
                                {nullptr, nullptr, nullptr}};
  return &plugin;
}

}  // namespace detail
}  // namespace portcullis::sdk

// Exports an identity plugin's entry symbol. Provider derives from
// portcullis::sdk::IdentityProvider and has a constructor
// Provider(const portcullis::sdk::Json& config, portcullis::sdk::Host host).
#define PORTCULLIS_IDENTITY_PLUGIN(Provider, name, version, configSchema)                      \
  extern "C" PORTCULLIS_EXPORT const pc_plugin* portcullis_plugin_entry(void) {               \
    return ::portcullis::sdk::detail::describeIdentity<Provider>((name), (version), (configSchema)); \
  }
