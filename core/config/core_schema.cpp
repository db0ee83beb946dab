#include <string>

#include "core/config/config.hpp"

namespace portcullis::config {

const std::string& coreSchemaText() {
  static const std::string kSchema = R"JSON({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "server": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "listen": {"type": "string", "minLength": 3},
        "mcp_path": {"type": "string", "pattern": "^/[A-Za-z0-9._~/-]*$"},
        "allowed_origins": {"type": "array", "items": {"type": "string", "pattern": "^https?://[^/]+$"}},
        "allowed_hosts": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "max_body_bytes": {"type": "integer", "minimum": 1024, "maximum": 1073741824},
        "threads": {"type": "integer", "minimum": 2, "maximum": 4096},
        "max_queued": {"type": "integer", "minimum": 1, "maximum": 100000},
        "keep_alive_timeout": {"type": "string", "format": "duration"},
        "request_timeout": {"type": "string", "format": "duration"},
        "legacy_sse": {"type": "boolean"},
        "public_url": {"type": "string", "pattern": "^https?://[^/?#@]+/?$"},
        "trusted_proxies": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "tls": {
          "type": "object",
          "additionalProperties": false,
          "required": ["cert", "key"],
          "properties": {
            "cert": {"type": "string", "minLength": 1},
            "key": {"type": "string", "minLength": 1}
          }
        }
      }
    },
    "auth": {
      "type": "object",
      "additionalProperties": false,
      "required": ["identity"],
      "properties": {
        "identity": {"type": "string", "minLength": 1},
        "signing_alg": {"enum": ["ES256", "RS256"]},
        "access_token_ttl": {"type": "string", "format": "duration"},
        "refresh_token_ttl": {"type": "string", "format": "duration"},
        "code_ttl": {"type": "string", "format": "duration"},
        "consent_ttl": {"type": "string", "format": "duration"},
        "session_ttl": {"type": "string", "format": "duration"},
        "secret_key_file": {"type": "string", "minLength": 1},
        "allow_registration": {"type": "boolean"},
        "max_registration_bytes": {"type": "integer", "minimum": 1024, "maximum": 1048576},
        "cimd": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "enabled": {"type": "boolean"},
            "allow_hosts": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "ca_file": {"type": "string", "minLength": 1},
            "timeout": {"type": "string", "format": "duration"},
            "max_bytes": {"type": "integer", "minimum": 512, "maximum": 1048576}
          }
        },
        "clients": {
          "type": "array",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["client_id", "redirect_uris"],
            "properties": {
              "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$"},
              "name": {"type": "string"},
              "redirect_uris": {"type": "array", "items": {"type": "string", "minLength": 1}},
              "secret": {"type": "string", "minLength": 16},
              "grant_types": {"type": "array", "items": {"enum": ["authorization_code", "refresh_token", "client_credentials"]}},
              "scope": {"type": "string"},
              "system_managed": {"type": "boolean"}
            }
          }
        }
      }
    },
    "policy": {
      "type": "object",
      "description": "roles, scopes and rules (checked by the policy compiler), or {file: PATH} naming a YAML file that holds them"
    },
    "storage": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "path": {"type": "string", "minLength": 1},
        "synchronous": {"enum": ["FULL", "NORMAL"]}
      }
    },
    "audit": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "enabled": {"type": "boolean"},
        "retention": {"type": "string", "format": "duration"},
        "queue": {"type": "integer", "minimum": 1, "maximum": 10000000}
      }
    },
    "streams": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "heartbeat": {"type": "string", "format": "duration"},
        "retry": {"type": "string", "format": "duration"},
        "max_queued_bytes": {"type": "integer", "minimum": 4096},
        "max_streams": {"type": "integer", "minimum": 1},
        "history": {"type": "integer", "minimum": 0, "maximum": 100000}
      }
    },
    "sessions": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "idle_timeout": {"type": "string", "format": "duration"},
        "max": {"type": "integer", "minimum": 1},
        "client_request_timeout": {"type": "string", "format": "duration"}
      }
    },
    "mcp": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "server_name": {"type": "string", "minLength": 1},
        "instructions": {"type": "string"},
        "list_ttl": {"type": "string", "format": "duration"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100000},
        "validate_arguments": {"type": "boolean"}
      }
    },
    "tasks": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "enabled": {"type": "boolean"},
        "ttl": {"type": "string", "format": "duration"},
        "poll_interval": {"type": "string", "format": "duration"},
        "sync_window": {"type": "string", "format": "duration"},
        "workers": {"type": "integer", "minimum": 1, "maximum": 1024},
        "max": {"type": "integer", "minimum": 1}
      }
    },
    "logging": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "level": {"enum": ["debug", "information", "info", "notice", "warning", "error", "critical", "fatal", "none"]}
      }
    },
    "data_dir": {"type": "string", "minLength": 1},
    "plugin_dirs": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "plugins": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "kind", "library"],
        "properties": {
          "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
          "kind": {"enum": ["primitives", "connector", "identity"]},
          "library": {"type": "string", "minLength": 1},
          "config": {"type": ["object", "null"]}
        }
      }
    }
  }
})JSON";
  return kSchema;
}

}  // namespace portcullis::config
