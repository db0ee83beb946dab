/*
 * Hand-written plugins in plain C against plugin_abi.h alone, one source for
 * many libraries. tests/plugin_abi/CMakeLists.txt builds this file several
 * times, each time with compile definitions that spoil one part of the
 * descriptor, so the host's checks can be driven one at a time:
 *
 *   FAKE_NO_ENTRY              export no portcullis_plugin_entry symbol
 *   FAKE_NULL_DESCRIPTOR       the entry returns NULL
 *   FAKE_MAGIC=<n>             magic number
 *   FAKE_MAJOR=<n>, FAKE_MINOR=<n>   ABI version
 *   FAKE_TRUNCATED             descriptor size ends before the factories
 *   FAKE_NO_CREATE, FAKE_NO_DESTROY, FAKE_NO_NAME
 *   FAKE_NO_PRIMITIVES         no primitives table
 *   FAKE_NO_INVOKE             primitives table without invoke
 *   FAKE_KIND=<n>              pc_plugin_kind
 *   FAKE_SCHEMA_INVALID_JSON   config schema that is not JSON
 *   FAKE_SCHEMA_NOT_OBJECT     config schema that is JSON but not a schema
 *   FAKE_CREATE_FAILS          create returns PC_ERROR with a reason
 *   FAKE_LIST_MODE=<n>         0: valid lists; 1: invalid JSON; 2: not an array
 *
 * Without any definition the library is a valid primitives plugin serving
 * four tools whose results exercise the host's handling of invoke():
 *   fake_ok            a valid CallToolResult
 *   fake_invalid_json  PC_OK with text that is not JSON
 *   fake_not_object    PC_OK with a JSON array instead of a result object
 *   fake_bad_error     PC_ERROR with an error that is not JSON
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "portcullis/plugin_abi.h"

#if defined(_WIN32)
#define FAKE_EXPORT __declspec(dllexport)
#else
#define FAKE_EXPORT __attribute__((visibility("default")))
#endif

#ifndef FAKE_MAGIC
#define FAKE_MAGIC PORTCULLIS_ABI_MAGIC
#endif
#ifndef FAKE_MAJOR
#define FAKE_MAJOR PORTCULLIS_ABI_MAJOR
#endif
#ifndef FAKE_MINOR
#define FAKE_MINOR PORTCULLIS_ABI_MINOR
#endif
#ifndef FAKE_KIND
#define FAKE_KIND PC_KIND_PRIMITIVES
#endif
#ifndef FAKE_LIST_MODE
#define FAKE_LIST_MODE 0
#endif

static void put(pc_buffer* out, const char* text) {
  if (out != NULL && out->append != NULL) out->append(out->opaque, text, strlen(text));
}

/* One instance: nothing but a marker, so destroy has something to free. */
typedef struct fake_instance {
  int alive;
} fake_instance;

static int32_t fake_create(const pc_host* host, pc_string config_json, void** instance,
                           pc_buffer* error) {
  (void)host;
  (void)config_json;
#ifdef FAKE_CREATE_FAILS
  (void)instance;
  put(error, "the fake backend refused the connection (reason from create)");
  return PC_ERROR;
#else
  (void)error;
  fake_instance* made = (fake_instance*)malloc(sizeof(fake_instance));
  if (made == NULL) return PC_ERROR;
  made->alive = 1;
  *instance = made;
  return PC_OK;
#endif
}

static void fake_destroy(void* instance) { free(instance); }

#if FAKE_LIST_MODE == 0
static const char kTools[] =
    "["
    "{\"name\":\"fake_ok\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"fake_invalid_json\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"fake_not_object\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"fake_bad_error\",\"inputSchema\":{\"type\":\"object\"}}"
    "]";
#endif

static int32_t fake_list(void* instance, uint32_t list, pc_buffer* out) {
  (void)instance;
#if FAKE_LIST_MODE == 1
  (void)list;
  put(out, "[{\"name\":\"fake_listed_broken\",");
#elif FAKE_LIST_MODE == 2
  (void)list;
  put(out, "{\"name\":\"fake_listed_object\",\"uri\":\"fake://listed\",\"inputSchema\":{\"type\":\"object\"}}");
#else
  put(out, list == PC_LIST_TOOLS ? kTools : "[]");
#endif
  return PC_OK;
}

#ifndef FAKE_NO_INVOKE
static int named(pc_string params, const char* quoted) {
  const size_t n = strlen(quoted);
  size_t i;
  if (params.data == NULL || params.size < n) return 0;
  for (i = 0; i + n <= params.size; ++i) {
    if (memcmp(params.data + i, quoted, n) == 0) return 1;
  }
  return 0;
}

static int32_t fake_invoke(void* instance, pc_call* call, pc_string method, pc_string params_json,
                           pc_buffer* out) {
  (void)instance;
  (void)call;
  if (method.size != 10 || memcmp(method.data, "tools/call", 10) != 0) {
    put(out, "{\"code\":-32601,\"message\":\"Method not found\"}");
    return PC_ERROR;
  }
  if (named(params_json, "\"fake_invalid_json\"")) {
    put(out, "{\"content\":[{\"type\":\"text\",");
    return PC_OK;
  }
  if (named(params_json, "\"fake_not_object\"")) {
    put(out, "[{\"type\":\"text\",\"text\":\"an array, not a result\"}]");
    return PC_OK;
  }
  if (named(params_json, "\"fake_bad_error\"")) {
    put(out, "this error is not JSON");
    return PC_ERROR;
  }
  put(out, "{\"content\":[{\"type\":\"text\",\"text\":\"fake ok\"}]}");
  return PC_OK;
}
#endif

static const pc_primitives kPrimitives = {
    sizeof(pc_primitives), &fake_list,
#ifdef FAKE_NO_INVOKE
    NULL
#else
    &fake_invoke
#endif
};

#if defined(FAKE_SCHEMA_INVALID_JSON)
#define FAKE_SCHEMA "{\"type\": \"object\", \"properties\": {"
#elif defined(FAKE_SCHEMA_NOT_OBJECT)
#define FAKE_SCHEMA "[\"type\", \"object\"]"
#else
#define FAKE_SCHEMA "{\"type\": \"object\", \"additionalProperties\": false}"
#endif

static const pc_plugin kDescriptor = {
    FAKE_MAGIC,
    FAKE_MAJOR,
    FAKE_MINOR,
#ifdef FAKE_TRUNCATED
    /* As if built from a header whose pc_plugin ended before the factories. */
    offsetof(pc_plugin, create),
#else
    sizeof(pc_plugin),
#endif
    FAKE_KIND,
#ifdef FAKE_NO_NAME
    NULL,
#else
    "fake",
#endif
    "0.0.1",
    FAKE_SCHEMA,
#ifdef FAKE_NO_CREATE
    NULL,
#else
    &fake_create,
#endif
#ifdef FAKE_NO_DESTROY
    NULL,
#else
    &fake_destroy,
#endif
#ifdef FAKE_NO_PRIMITIVES
    NULL,
#else
    &kPrimitives,
#endif
    NULL,
    {NULL, NULL, NULL}};

#ifdef FAKE_NO_ENTRY
/* A shared library that exports something, just not the entry symbol. */
FAKE_EXPORT const pc_plugin* portcullis_plugin_entry_misspelled(void) { return &kDescriptor; }
#else
FAKE_EXPORT const pc_plugin* portcullis_plugin_entry(void) {
#ifdef FAKE_NULL_DESCRIPTOR
  return NULL;
#else
  return &kDescriptor;
#endif
}
#endif
