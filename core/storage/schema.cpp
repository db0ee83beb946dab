#include "core/storage/schema.hpp"

namespace portcullis::storage {

// Portable SQL only: TEXT and BIGINT columns, timestamps in milliseconds,
// secrets stored as SHA-256 hashes (hex) or encrypted text.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations{
      {1,
       "users, clients, grants, codes, tokens, consents, keys, change log, plugin storage",
       {
           R"(CREATE TABLE users (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                email TEXT,
                name TEXT,
                role TEXT NOT NULL,
                groups_json TEXT NOT NULL DEFAULT '[]',
                provider TEXT NOT NULL,
                disabled BIGINT NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                last_login_at BIGINT))",
           R"(CREATE TABLE clients (
                client_id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT,
                metadata_json TEXT NOT NULL,
                secret_hash TEXT,
                registration_token_hash TEXT,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT))",
           R"(CREATE TABLE grants (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                resource TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT))",
           "CREATE INDEX grants_client ON grants (client_id)",
           "CREATE INDEX grants_user ON grants (user_id)",
           R"(CREATE TABLE auth_codes (
                code_hash TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT))",
           R"(CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT))",
           "CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id)",
           R"(CREATE TABLE consents (
                user_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, client_id)))",
           R"(CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                name TEXT,
                user_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT))",
           R"(CREATE TABLE signing_keys (
                kid TEXT PRIMARY KEY,
                alg TEXT NOT NULL,
                private_key TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                retired_at BIGINT))",
           R"(CREATE TABLE change_log (
                kind TEXT NOT NULL,
                ref TEXT NOT NULL,
                at BIGINT NOT NULL,
                PRIMARY KEY (kind, ref)))",
           "CREATE INDEX change_log_at ON change_log (at)",
           R"(CREATE TABLE plugin_kv (
                plugin TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                expires_at BIGINT,
                PRIMARY KEY (plugin, key)))",
           R"(CREATE TABLE setup_tokens (
                token_hash TEXT PRIMARY KEY,
                expires_at BIGINT NOT NULL,
                used_at BIGINT))",
       }},
      {2,
       "audit events",
       {
           // Ids come from `sequences` (one row a counter, raised in the
           // writing transaction), so they only grow, even after the
           // retention sweep emptied the table, on SQLite and PostgreSQL.
           R"(CREATE TABLE sequences (
                name TEXT PRIMARY KEY,
                last_value BIGINT NOT NULL))",
           "INSERT INTO sequences (name, last_value) VALUES ('audit_events', 0)",
           R"(CREATE TABLE audit_events (
                id BIGINT PRIMARY KEY,
                at BIGINT NOT NULL,
                subject TEXT NOT NULL,
                username TEXT NOT NULL,
                client_id TEXT NOT NULL,
                api_token_id TEXT NOT NULL,
                method TEXT NOT NULL,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                plugin TEXT NOT NULL,
                decision TEXT NOT NULL,
                rule TEXT NOT NULL,
                outcome TEXT NOT NULL,
                latency_us BIGINT NOT NULL))",
           "CREATE INDEX audit_events_at ON audit_events (at)",
           "CREATE INDEX audit_events_username_at ON audit_events (username, at)",
       }},
      {3,
       "audit events in id order only",
       {
           // Every index is one more b-tree insert per recorded call. Ids
           // follow the order decisions are recorded, so the sweep and the
           // newest-first reading walk them instead of a time index, and a
           // user's decisions are found by (username, id).
           "DROP INDEX audit_events_at",
           "DROP INDEX audit_events_username_at",
           "CREATE INDEX audit_events_username_id ON audit_events (username, id)",
       }},
      {4,
       "linked accounts",
       {
           // Tokens and secrets are sealed, bound to their row's keys.
           R"(CREATE TABLE account_links (
                user_id TEXT NOT NULL,
                account TEXT NOT NULL,
                access_token TEXT NOT NULL,
                refresh_token TEXT NOT NULL,
                scope TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                redirect_uri TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (user_id, account)))",
           // Clients registered at upstreams (RFC 7591), one per account,
           // authorization server and redirect URI.
           R"(CREATE TABLE account_clients (
                account TEXT NOT NULL,
                issuer TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                client_id TEXT NOT NULL,
                client_secret TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (account, issuer, redirect_uri)))",
           // A flow in progress, bound to the user who started it and to
           // their browser (the hash of a cookie set when it started).
           R"(CREATE TABLE account_link_states (
                state_hash TEXT PRIMARY KEY,
                browser_hash TEXT NOT NULL,
                user_id TEXT NOT NULL,
                account TEXT NOT NULL,
                verifier TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                expires_at BIGINT NOT NULL))",
       }},
  };
  return kMigrations;
}

}  // namespace portcullis::storage
