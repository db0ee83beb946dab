#pragma once
// The boundary between the C ABI and a C++ provider. Every function here
// catches every exception: nothing may unwind into the host.

#include <memory>
#include <string>

#include "portcullis/plugin_abi.h"
#include "portcullis/sdk/call.hpp"
#include "portcullis/sdk/provider.hpp"

namespace portcullis::sdk::detail {

inline void writeError(pc_buffer* out, int code, const std::string& message,
                       const Json& data = nullptr) {
  Json error{{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  write(out, error.dump(-1, ' ', false, Json::error_handler_t::replace));
}

struct Instance {
  Host host;
  std::unique_ptr<PrimitiveProvider> provider;
};

template <typename Provider>
int32_t create(const pc_host* host, pc_string config, void** instance, pc_buffer* error) {
  try {
    const Json parsed = config.size == 0 ? Json::object()
                                         : Json::parse(std::string(config.data, config.size));
    auto made = std::make_unique<Instance>(Instance{Host(host), nullptr});
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

inline void destroy(void* instance) {
  try {
    delete static_cast<Instance*>(instance);
  } catch (...) {
  }
}

inline int32_t list(void* instance, uint32_t which, pc_buffer* out) {
  try {
    write(out, static_cast<Instance*>(instance)->provider->list(which).dump(
                   -1, ' ', false, Json::error_handler_t::replace));
    return PC_OK;
  } catch (const std::exception& e) {
    writeError(out, codes::kInternalError, e.what());
  } catch (...) {
    writeError(out, codes::kInternalError, "unknown exception in list");
  }
  return PC_ERROR;
}

inline int32_t invoke(void* instance, pc_call* call, pc_string method, pc_string params,
                      pc_buffer* out) {
  auto* self = static_cast<Instance*>(instance);
  try {
    const Json parsed = params.size == 0 ? Json::object()
                                         : Json::parse(std::string(params.data, params.size));
    Call context(self->host.raw(), call, parsed);
    const Json result =
        self->provider->invoke(std::string(method.data, method.size), parsed, context);
    write(out, result.dump(-1, ' ', false, Json::error_handler_t::replace));
    return PC_OK;
  } catch (const RpcError& e) {
    writeError(out, e.code(), e.what(), e.data());
  } catch (const InputRequiredSignal&) {
    return PC_INPUT_REQUIRED;
  } catch (const CancelledSignal&) {
    return PC_CANCELLED;
  } catch (const Json::parse_error& e) {
    writeError(out, codes::kInvalidParams, std::string("invalid JSON: ") + e.what());
  } catch (const std::exception& e) {
    writeError(out, codes::kInternalError, e.what());
  } catch (...) {
    writeError(out, codes::kInternalError, "unknown exception");
  }
  return PC_ERROR;
}

inline int32_t health(void* instance, pc_buffer* out) {
  try {
    const Json report = static_cast<Instance*>(instance)->provider->health();
    if (!report.is_null()) write(out, report.dump(-1, ' ', false, Json::error_handler_t::replace));
    return PC_OK;
  } catch (const std::exception& e) {
    write(out, Json{{"status", "down"}, {"detail", std::string("health check failed: ") + e.what()}}.dump());
  } catch (...) {
    write(out, Json{{"status", "down"}, {"detail", "health check failed"}}.dump());
  }
  return PC_OK;
}

template <typename Provider>
const pc_plugin* describe(uint32_t kind, const char* name, const char* version,
                          const char* configSchema) {
  static const pc_primitives primitives{sizeof(pc_primitives), &list, &invoke, &health};
  static const pc_plugin plugin{PORTCULLIS_ABI_MAGIC,
                                PORTCULLIS_ABI_MAJOR,
                                PORTCULLIS_ABI_MINOR,
                                sizeof(pc_plugin),
                                kind,
                                name,
                                version,
                                configSchema,
                                &create<Provider>,
                                &destroy,
                                &primitives,
                                nullptr,
                                {nullptr, nullptr, nullptr}};
  return &plugin;
}

}  // namespace portcullis::sdk::detail

#if defined(_WIN32)
#define PORTCULLIS_EXPORT __declspec(dllexport)
#else
#define PORTCULLIS_EXPORT __attribute__((visibility("default")))
#endif

// Exports the plugin's entry symbol. Provider derives from
// portcullis::sdk::PrimitiveProvider and has a constructor
// Provider(const portcullis::sdk::Json& config, portcullis::sdk::Host host).
#define PORTCULLIS_PLUGIN(Provider, kind, name, version, configSchema)                     \
  extern "C" PORTCULLIS_EXPORT const pc_plugin* portcullis_plugin_entry(void) {           \
    return ::portcullis::sdk::detail::describe<Provider>((kind), (name), (version),       \
                                                          (configSchema));                \
  }
