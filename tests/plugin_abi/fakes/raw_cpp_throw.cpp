// Hand-written C++ against plugin_abi.h without the SDK's boundary: an
// exception escapes the plugin. Whatever a broken plugin does, the host must
// contain it and report the plugin's name with a reason.
//
//   RAW_ENTRY_THROWS   the entry function itself throws
//   (default)          create throws

#include <stdexcept>

#include "portcullis/plugin_abi.h"

namespace {

int32_t createThrows(const pc_host*, pc_string, void**, pc_buffer*) {
  throw std::runtime_error("raw fake: create threw past the ABI");
}

void destroyNothing(void*) {}

int32_t listNothing(void*, uint32_t, pc_buffer* out) {
  out->append(out->opaque, "[]", 2);
  return PC_OK;
}

int32_t invokeNothing(void*, pc_call*, pc_string, pc_string, pc_buffer* out) {
  out->append(out->opaque, "{}", 2);
  return PC_OK;
}

const pc_primitives kPrimitives{sizeof(pc_primitives), &listNothing, &invokeNothing};

const pc_plugin kDescriptor{PORTCULLIS_ABI_MAGIC,
                            PORTCULLIS_ABI_MAJOR,
                            PORTCULLIS_ABI_MINOR,
                            sizeof(pc_plugin),
                            PC_KIND_PRIMITIVES,
                            "raw_cpp_throw",
                            "0.0.1",
                            R"({"type": "object"})",
                            &createThrows,
                            &destroyNothing,
                            &kPrimitives,
                            nullptr,
                            {nullptr, nullptr, nullptr}};

}  // namespace

extern "C" __attribute__((visibility("default"))) const pc_plugin* portcullis_plugin_entry(void) {
#ifdef RAW_ENTRY_THROWS
  throw std::logic_error("raw fake: the entry function threw");
#else
  return &kDescriptor;
#endif
}
