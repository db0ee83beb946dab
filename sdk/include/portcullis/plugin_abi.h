/*
 * Portcullis plugin ABI.
 *
 * The only contract between the Portcullis server and a plugin library. It is
 * plain C so that a plugin built with another compiler, another standard
 * library or another Poco still loads: fixed-width integers, {pointer, size}
 * strings, opaque handles, and JSON text for every structured value (config,
 * schemas, arguments, results). No exception may cross it.
 *
 * Versioning: a plugin is loaded when its major version equals the host's and
 * its minor version is not newer than the host's. Structs only grow at the end
 * within a major version; each carries its own size so either side can tell
 * which fields the other knows.
 */
#ifndef PORTCULLIS_PLUGIN_ABI_H
#define PORTCULLIS_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTCULLIS_ABI_MAGIC 0x50435031u /* "PCP1" */
#define PORTCULLIS_ABI_MAJOR 1u
#define PORTCULLIS_ABI_MINOR 3u

/* The one symbol every plugin library exports. */
#define PORTCULLIS_ENTRY_SYMBOL "portcullis_plugin_entry"

/* A borrowed string: valid only for the duration of the call it is passed to. */
typedef struct pc_string {
  const char* data;
  size_t size;
} pc_string;

/* An output buffer owned by the caller. The callee appends bytes to it. */
typedef struct pc_buffer {
  void* opaque;
  void (*append)(void* opaque, const char* data, size_t size);
} pc_buffer;

/* Status codes returned across the boundary. */
typedef enum pc_status {
  PC_OK = 0,
  /* The output buffer holds a JSON-RPC error object {"code", "message", "data"?}. */
  PC_ERROR = 1,
  /* The call needs input from the client first (a client request returned
   * PC_INPUT_REQUIRED); the host completes the exchange and calls again. */
  PC_INPUT_REQUIRED = 2,
  /* The client cancelled the request; the host discards any output. */
  PC_CANCELLED = 3,
  /* Since ABI 1.3, from call_account_token only: the caller has not linked
   * the account yet. */
  PC_LINK_REQUIRED = 4
} pc_status;

typedef enum pc_plugin_kind {
  PC_KIND_PRIMITIVES = 1, /* tools, resources and prompts served in-process */
  PC_KIND_CONNECTOR = 2,  /* primitives backed by an upstream system */
  PC_KIND_IDENTITY = 3    /* checks who a user is (sign-in) */
} pc_plugin_kind;

/* Catalog lists, also used as a bit mask in notify_list_changed. */
typedef enum pc_list {
  PC_LIST_TOOLS = 1,
  PC_LIST_RESOURCES = 2,
  PC_LIST_RESOURCE_TEMPLATES = 4,
  PC_LIST_PROMPTS = 8
} pc_list;

/* RFC 5424 severities, in the order MCP uses them. */
typedef enum pc_log_level {
  PC_LOG_DEBUG = 0,
  PC_LOG_INFO = 1,
  PC_LOG_NOTICE = 2,
  PC_LOG_WARNING = 3,
  PC_LOG_ERROR = 4,
  PC_LOG_CRITICAL = 5,
  PC_LOG_ALERT = 6,
  PC_LOG_EMERGENCY = 7
} pc_log_level;

/* One in-flight request from a client, valid until invoke() returns. */
typedef struct pc_call pc_call;

/*
 * Services the host offers a plugin. The table outlives every instance the
 * plugin creates. Every function is thread-safe.
 */
typedef struct pc_host {
  uint32_t size; /* sizeof(pc_host) as the host built it */
  void* opaque;  /* pass back as the first argument of the plugin-wide services */

  /* Writes to the server log under the plugin's name. */
  void (*log)(void* opaque, int32_t level, pc_string message);
  /* The plugin's lists changed (pc_list bit mask); clients are told. */
  void (*notify_list_changed)(void* opaque, uint32_t lists);
  /* A resource changed; subscribed clients are told. */
  void (*notify_resource_updated)(void* opaque, pc_string uri);

  /* --- Services bound to one call --- */

  /* notifications/progress for the call; total < 0 means unknown. Returns PC_OK,
   * or PC_CANCELLED when the client has gone. No-op without a progress token. */
  int32_t (*call_progress)(pc_call* call, double progress, double total, pc_string message);
  /* notifications/message for the call, filtered by the client's log level.
   * data_json is any JSON value. */
  int32_t (*call_log)(pc_call* call, int32_t level, pc_string logger, pc_string data_json);
  /* Asks the client something (sampling/createMessage, elicitation/create,
   * roots/list) and blocks until it answers. PC_OK: result holds the client's
   * result object. PC_ERROR: result holds an error object. PC_INPUT_REQUIRED:
   * the client answers on a retry of the whole request; return
   * PC_INPUT_REQUIRED from invoke() without side effects. */
  int32_t (*call_client_request)(pc_call* call, pc_string method, pc_string params_json,
                                 pc_buffer* result);
  /* Non-zero once the client cancelled the request or went away. */
  int32_t (*call_cancelled)(pc_call* call);
  /* Writes a JSON object describing the call: requestId, protocolVersion,
   * clientInfo, clientCapabilities and principal (subject, name, email, roles,
   * groups, scopes, clientId). */
  void (*call_info)(pc_call* call, pc_buffer* out);
  /* Hints that the call will be slow. The host may let go of the client
   * now: close a resumable stream so the client reconnects for the rest, or
   * hand a client that supports tasks a task to poll. */
  void (*call_release_stream)(pc_call* call);
  /* Several client requests at once: requests_json is {"key": {"method",
   * "params"}, ...}. On PC_OK `results` holds {"key": {"result": {...}} or
   * {"error": {...}}, ...} with every key. Status codes as for
   * call_client_request. */
  int32_t (*call_client_requests)(pc_call* call, pc_string requests_json, pc_buffer* results);

  /* --- A small key-value store private to the plugin instance, kept in the
   * server's database (survives restarts; shared by the CLI). --- */

  /* PC_OK and the value appended, or PC_ERROR when the key is absent. */
  int32_t (*store_get)(void* opaque, pc_string key, pc_buffer* value);
  /* ttl_ms <= 0 keeps the value until deleted. */
  int32_t (*store_put)(void* opaque, pc_string key, pc_string value, int64_t ttl_ms);
  int32_t (*store_delete)(void* opaque, pc_string key);

  /* --- Since ABI 1.1 (check `size` before use) --- */

  /* A short-lived JWT that tells a backend who is calling, signed by the
   * server's current key (verifiable with its JWKS at /oauth/jwks): typ
   * "identity-assertion+jwt"; iss, sub, aud = `audience`, iat, nbf, exp (now +
   * ttl_ms, at most 5 minutes), jti, and preferred_username, name, email,
   * roles, groups, client_id and scope of the caller. It is never the
   * caller's own token. PC_OK: `out` holds the JWT. PC_ERROR: `out` holds a
   * reason (sign-in is off, the caller is anonymous, the audience is empty). */
  int32_t (*call_identity_assertion)(pc_call* call, pc_string audience, int64_t ttl_ms, pc_buffer* out);

  /* --- Since ABI 1.2 (check `size` before use) --- */

  /* Writes an event about one of the plugin's own primitives to the audit
   * log (a connector noticing that an upstream changed a tool's definition,
   * say): event_json is {"event": short-name, "kind": "tool" | "resource" |
   * "template" | "prompt", "name": ..., "detail"?: ..., "outcome"?: ...}.
   * PC_OK when it was queued; PC_ERROR when the server keeps no audit log
   * (sign-in is off or audit.enabled is false) or the event is malformed. */
  int32_t (*record_event)(void* opaque, pc_string event_json);

  /* --- Since ABI 1.3 (check `size` before use) --- */

  /* Declares that the instance's users link their own account at an
   * upstream (linked accounts, see docs/connectors.md). Call from create().
   * The account takes the instance's name. account_json is {"title"?,
   * "resource"?, "issuer"?, "authorization_endpoint"?, "token_endpoint"?,
   * "revocation_endpoint"?, "client_id"?, "client_secret"?, "scopes"?: [...]}
   * with "resource" (the upstream's URL, where discovery starts) or both
   * endpoints. PC_OK, or PC_ERROR with the reason in `error` (sign-in is
   * off, the account is declared twice, the JSON is wrong). */
  int32_t (*declare_account)(void* opaque, pc_string account_json, pc_buffer* error);
  /* The caller's access token for the instance's linked account, refreshed
   * when it is about to expire, or at once when `refresh` is non-zero (the
   * upstream refused the last one). PC_OK: `out` holds the token.
   * PC_LINK_REQUIRED: the caller has not linked the account (or the link
   * was revoked); `out` holds the URL of the page where they link it.
   * PC_ERROR: `out` holds a reason (the caller is not a signed-in user, the
   * upstream's authorization server cannot be reached). With `call` NULL,
   * for requests no caller makes (listing the upstream's tools): the token
   * of the user whose link was used or refreshed last; PC_LINK_REQUIRED
   * when nobody has linked the account yet. */
  int32_t (*call_account_token)(void* opaque, pc_call* call, int32_t refresh, pc_buffer* out);
} pc_host;

/* Functions of a plugin that serves tools, resources, templates and prompts. */
typedef struct pc_primitives {
  uint32_t size; /* sizeof(pc_primitives) as the plugin built it */
  /* Appends a JSON array of MCP definitions (Tool, Resource, ResourceTemplate
   * or Prompt objects) for one pc_list value. */
  int32_t (*list)(void* instance, uint32_t list, pc_buffer* out);
  /* Handles one MCP request addressed to this plugin: tools/call,
   * resources/read, prompts/get, completion/complete, resources/subscribe,
   * resources/unsubscribe or an extension method. params_json is the request's
   * params object. On PC_OK the buffer holds the result object. */
  int32_t (*invoke)(void* instance, pc_call* call, pc_string method, pc_string params_json,
                    pc_buffer* out);

  /* --- Optional (the host checks `size` and NULL) --- */

  /* How the plugin's backend is doing, for /readyz and `portcullis plugins
   * list`: appends a JSON object {"status": "up" | "degraded" | "down",
   * "detail"?: string, ...} and returns PC_OK, or appends nothing when the
   * plugin has nothing to report. Must not block for long: report what is
   * already known. */
  int32_t (*health)(void* instance, pc_buffer* out);
} pc_primitives;

/*
 * Functions of an identity plugin. It decides who someone is; the server
 * keeps the user directory and roles, renders the pages around the plugin's
 * form, and issues the tokens.
 */
typedef struct pc_identity {
  uint32_t size; /* sizeof(pc_identity) as the plugin built it */
  /* Appends the HTML of the sign-in form's fields; the server wraps them in
   * its own <form> (with the CSRF token and flow) and submit button. A form
   * that takes passwords uses inputs named "username" and "password".
   * context_json: {"username"?: string, "error"?: string}. */
  int32_t (*login_form)(void* instance, pc_string context_json, pc_buffer* html);
  /* Checks the submitted fields (every form field, plus "client_address").
   * Appends {"status":"ok","username":...,"name"?,"email"?,"groups"?:[...]}
   * or {"status":"denied","message":...}. An unknown user and a wrong
   * password must get the same answer. */
  int32_t (*authenticate)(void* instance, pc_string fields_json, pc_buffer* result);
  /* Administration from the CLI and the server: {"command": ..., ...}.
   * Appends a JSON result; PC_ERROR with {"message"} when it fails. */
  int32_t (*admin)(void* instance, pc_string command_json, pc_buffer* result);
} pc_identity;

/* What the entry symbol returns. Static storage, valid while the library is loaded. */
typedef struct pc_plugin {
  uint32_t magic; /* PORTCULLIS_ABI_MAGIC */
  uint16_t abi_major;
  uint16_t abi_minor;
  uint32_t size; /* sizeof(pc_plugin) as the plugin built it */
  uint32_t kind; /* pc_plugin_kind */
  const char* name;          /* the plugin type, e.g. "demo" */
  const char* version;       /* the plugin's own version */
  const char* config_schema; /* JSON Schema of its config; validated by the host first */

  /* Creates an instance from validated config JSON. On failure returns
   * PC_ERROR with a human-readable reason in `error`. */
  int32_t (*create)(const pc_host* host, pc_string config_json, void** instance,
                    pc_buffer* error);
  void (*destroy)(void* instance);

  const pc_primitives* primitives; /* PC_KIND_PRIMITIVES and PC_KIND_CONNECTOR */
  const pc_identity* identity;     /* PC_KIND_IDENTITY */
  const void* reserved[3];         /* later kinds; NULL */
} pc_plugin;

typedef const pc_plugin* (*pc_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* PORTCULLIS_PLUGIN_ABI_H */
