// Helpers for the OAuth end-to-end tests: a Portcullis with sign-in required,
// started on a temporary configuration and data directory with one user;
// PKCE, registration, the authorization code flow through the real pages
// (support/browser.mjs), token and revocation requests; a local https server
// with a certificate from scripts/dev-cert.sh for client metadata documents.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  BIN, ROOT, CLI_BOUND_MS, WAIT_MS, within, withServer, spawnServe, modernRequest, eventually as pollUntil,
} from './mcp.mjs';
import { Browser, signInAndConsent } from './browser.mjs';

export const USERNAME = 'alice';
// Long enough for the built-in identity provider (at least 12 characters).
export const PASSWORD = 'correct horse battery staple';
export const ALL_SCOPES = ['tools:read', 'tools:call', 'resources:read', 'prompts:read'];

/** A fresh directory under the system temp dir; `remove()` deletes it. */
export async function tempDir(prefix = 'portcullis-e2e-') {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/**
 * Runs `portcullis ARGS...` with `input` on standard input (runCli in
 * support/mcp.mjs gives the child no standard input).
 */
export function runCliWithInput(args, input, { env = {}, timeout = CLI_BOUND_MS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portcullis ${args.join(' ')} did not finish within ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    child.stdin.end(input);
  });
}

/**
 * The configuration of a sign-in-required Portcullis: the built-in identity
 * provider and the demo plugin. `server` and `auth` are merged into their
 * sections. Written as JSON, which YAML reads as it is.
 */
export function oauthConfig({ auth = {}, server = {}, logLevel = 'warning' } = {}) {
  return {
    server: { listen: '127.0.0.1:0', mcp_path: '/mcp', ...server },
    // Overridden by PORTCULLIS_DATA_DIR; set anyway so nothing lands in the checkout.
    data_dir: './var/unused-e2e',
    logging: { level: logLevel },
    auth: { identity: 'builtin', ...auth },
    plugins: [
      { name: 'builtin', kind: 'identity', library: 'builtin', config: {} },
      { name: 'demo', kind: 'primitives', library: 'demo', config: {} },
    ],
  };
}

/**
 * `portcullis serve` on `listen` (HOST:PORT), for a server whose printed URL
 * is its public_url rather than its address; otherwise as withServer.
 */
async function withServerAt(configFile, listen, fn, { env }) {
  const s = spawnServe(['--config', configFile, '--listen', listen], { env });
  const started = await s.ready;
  if (!started.url) throw new Error(`the server did not start (${JSON.stringify(started.exited)}):\n${s.stdout()}${s.stderr()}`);
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  let failed = false;
  try {
    return await fn({ url: started.url, port, host, output: () => s.stdout() + s.stderr() });
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    let exit;
    try {
      exit = await s.stop();
    } catch (e) {
      if (!failed) throw e;
    }
    if (!failed) assert.deepEqual(exit, { code: 0, signal: null }, `the server did not exit cleanly:\n${s.stdout()}${s.stderr()}`);
  }
}

/**
 * Starts Portcullis with a temporary configuration (oauthConfig(options)) and
 * data directory holding one admin user, runs `fn(server)`, then stops the
 * server (checking a clean exit, see withServer) and removes the directory.
 * `server` adds to withServer's: base (where it listens, http://HOST:PORT),
 * endpoint (the MCP endpoint there),
 * issuer, resource (the MCP URL, the tokens' audience), username, password,
 * dataDir, configFile.
 * Options: auth, server (config sections to merge), env; dataDir to share
 * another server's data directory (no user is added then, and the directory
 * is left alone); listen (HOST:PORT, needed with server.public_url).
 */
export async function withOAuthServer(options, fn) {
  const dir = await tempDir('portcullis-oauth-');
  try {
    const dataDir = options.dataDir ?? path.join(dir.path, 'data');
    const configFile = path.join(dir.path, 'portcullis.yaml');
    await fs.writeFile(configFile, `${JSON.stringify(oauthConfig(options), null, 2)}\n`);
    const env = { PORTCULLIS_DATA_DIR: dataDir, ...(options.env ?? {}) };
    if (!options.dataDir) {
      const added = await runCliWithInput(
        ['users', 'add', USERNAME, '--role', 'admin', '--password-stdin', '--config', configFile], `${PASSWORD}\n`, { env });
      assert.equal(added.code, 0, `portcullis users add: ${added.stdout}${added.stderr}`);
    }
    const mcpPath = options.server?.mcp_path ?? '/mcp';
    const run = async (s) => {
      const base = `http://${s.host}:${s.port}`;
      const issuer = options.server?.public_url ?? base;
      return fn({
        ...s, base, endpoint: `${base}${mcpPath}`, issuer, resource: `${issuer}${mcpPath}`, username: USERNAME, password: PASSWORD, dataDir, configFile,
      });
    };
    return options.listen ? await withServerAt(configFile, options.listen, run, { env }) : await withServer(configFile, run, { env });
  } finally {
    await dir.remove();
  }
}

/**
 * withOAuthServer for a group of tests: resolves once the server runs and
 * keeps it running until `stop()`, which stops it and removes its files.
 */
export async function holdOAuthServer(options) {
  let release;
  let started;
  const ready = new Promise((resolve) => { started = resolve; });
  const done = withOAuthServer(options, (s) => {
    started(s);
    return new Promise((resolve) => { release = resolve; });
  });
  const server = await Promise.race([ready, done.then(() => { throw new Error('the server stopped before it was used'); })]);
  return {
    server,
    stop: async () => {
      release();
      await done;
    },
  };
}

// ---------------------------------------------------------------------------
// OAuth requests.

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A PKCE S256 pair. */
export function pkce() {
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

/** fetch, bounded, with the JSON body read when there is one. */
export async function call(url, init = {}) {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(WAIT_MS), ...init });
  const text = await res.text();
  let json;
  try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json, location: res.headers.get('location') ?? undefined };
}

/** POST /oauth/register with `metadata` (an object, or a raw string body). */
export function register(server, metadata, { headers = {} } = {}) {
  return call(`${server.base}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
  });
}

/** Registers a public client with one loopback redirect URI; returns the registration. */
export async function registerPublicClient(server, { redirectUri, name = 'portcullis e2e client', extra = {} } = {}) {
  const r = await register(server, {
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: name,
    ...extra,
  });
  assert.equal(r.status, 201, `registration: ${r.text}`);
  return r.json;
}

/** A form POST to an OAuth endpoint (token, revoke, introspect). */
export function formPost(url, params, { headers = {} } = {}) {
  return call(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

export const tokenRequest = (server, params, options) => formPost(`${server.base}/oauth/token`, params, options);

/** RFC 7009 revocation by a public client. */
export const revoke = (server, token, clientId) => formPost(`${server.base}/oauth/revoke`, { token, client_id: clientId });

/** The authorization URL for a public client, PKCE S256 and resource included unless overridden (undefined drops a parameter). */
export function authorizationUrl(server, { clientId, redirectUri, challenge, state = b64url(crypto.randomBytes(12)), scope = ALL_SCOPES.join(' '), resource = server.resource, extra = {} }) {
  const url = new URL(`${server.base}/oauth/authorize`);
  const params = {
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge,
    code_challenge_method: 'S256', state, scope, resource, ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/**
 * The authorization code flow through the real pages: a browser signs in and
 * consents; returns the code and what came back on the redirect.
 */
export async function authorize(server, { clientId, redirectUri, scope, resource, browser = new Browser(), extra } = {}) {
  const { verifier, challenge } = pkce();
  const state = b64url(crypto.randomBytes(12));
  const url = authorizationUrl(server, { clientId, redirectUri, challenge, state, scope, resource, extra });
  const { callback } = await signInAndConsent(browser, url, { username: server.username, password: server.password, redirectUri });
  assert.equal(callback.searchParams.get('error'), null, `authorization failed: ${callback.href}`);
  assert.equal(callback.searchParams.get('state'), state, 'the state comes back unchanged');
  return { code: callback.searchParams.get('code'), verifier, state, callback, browser };
}

/** Authorization plus the code exchange; returns the token response body. */
export async function obtainTokens(server, { clientId, redirectUri, scope, browser } = {}) {
  const { code, verifier } = await authorize(server, { clientId, redirectUri, scope, browser });
  const r = await tokenRequest(server, {
    grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId, resource: server.resource,
  });
  assert.equal(r.status, 200, `token exchange: ${r.text}`);
  return r.json;
}

/**
 * One MCP request (a stateless tools/list) with `token` as the bearer;
 * returns status, the parsed WWW-Authenticate parameters, and the body.
 */
export async function mcpWithToken(server, token, { method = 'tools/list', params = {} } = {}) {
  const { headers, body } = modernRequest(method, params);
  const res = await call(server.endpoint, {
    method: 'POST',
    headers: { ...headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { ...res, challenge: parseChallenge(res.headers.get('www-authenticate')) };
}

/** `Bearer a="b", c="d"` → {scheme, a, c}; undefined when absent. */
export function parseChallenge(header) {
  if (!header) return undefined;
  const m = /^(\S+)\s*(.*)$/.exec(header);
  const out = { scheme: m[1] };
  for (const p of m[2].matchAll(/([A-Za-z_]+)="([^"]*)"/g)) out[p[1]] = p[2];
  return out;
}

/**
 * eventually() of support/mcp.mjs with a shorter default bound, for effects
 * the server documents as taking a moment, such as a revocation reaching the
 * token checks (each server reads the change log a few times a second).
 */
export function eventually(probe, what, ms = 5_000) {
  return pollUntil(probe, what, { ms });
}

/** Waits (bounded) until `token` is refused at the MCP endpoint; returns that response. */
export function refusedSoon(server, token, what = 'the token to be refused') {
  return eventually(async () => {
    const r = await mcpWithToken(server, token);
    return r.status === 401 ? r : undefined;
  }, what);
}

/** The header and payload of a compact JWS, decoded without any check. */
export function decodeJwt(token) {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

// ---------------------------------------------------------------------------
// https on 127.0.0.1 with a development certificate.

/** Runs scripts/dev-cert.sh into `dir` for 127.0.0.1; returns the file paths. */
export async function devCert(dir) {
  const result = await new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts/dev-cert.sh'), '--out', dir, '--name', '127.0.0.1'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`dev-cert.sh did not finish:\n${out}`)); }, CLI_BOUND_MS);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
  assert.equal(result.code, 0, `scripts/dev-cert.sh: ${result.out}`);
  return {
    ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key'), output: result.out,
  };
}

/**
 * An https server on 127.0.0.1 (port 0) answering with `handler(req, res,
 * origin)`; `requests` records {method, url}. `close()` ends it and every
 * connection.
 */
export async function startHttpsServer({ cert, key }, handler) {
  const requests = [];
  let origin;
  const server = https.createServer({ cert: await fs.readFile(cert), key: await fs.readFile(key) }, (req, res) => {
    requests.push({ method: req.method, url: req.url });
    handler(req, res, origin);
  });
  await within(new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  }), 'the https server to listen');
  origin = `https://127.0.0.1:${server.address().port}`;
  return {
    origin,
    requests,
    close: () => within(new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }), 'the https server to close'),
  };
}
