// Helpers shared by the end-to-end tests: a server per test (each with its
// own fresh data directory), bounded waits, the portcullis CLI as a child
// process, users and API tokens made with that CLI, and a small raw-HTTP
// client for the 2026-07-28 protocol (which the TypeScript SDK does not speak).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { ROOT, BIN, makeDataDir, removeDataDir } from './server.mjs';

export { ROOT, BIN, makeDataDir, removeDataDir };

// Bounds on waiting, not performance expectations: generous on purpose.
export const WAIT_MS = 30_000;
export const CLI_BOUND_MS = 60_000;
// Bounds a whole test suite (node:test `timeout`), so nothing can hang the run.
export const SUITE_BOUND = { timeout: 10 * 60_000 };

/** Rejects with a clear message when `promise` has not settled within `ms`. */
export function within(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` (sync or async) every `intervalMs` until it returns a truthy
 * value, which it returns; rejects when `ms` pass first. For conditions with
 * no event to wait on (output printed, a token expiring).
 */
export async function eventually(check, what, { ms = WAIT_MS, intervalMs = 50 } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** fetch with a bound on the whole exchange, body included. */
export function boundedFetch(url, init = {}) {
  return fetch(url, { signal: AbortSignal.timeout(WAIT_MS), ...init });
}

/**
 * Starts `portcullis serve --config CONFIG` on a free loopback port, runs
 * `fn(server)`, then stops the server with SIGTERM and checks that it shut
 * down cleanly (exit code 0, no signal). A server that does not stop within
 * the bound is killed, so a hung server cannot hang the test run.
 *
 * The server runs on a fresh data directory (PORTCULLIS_DATA_DIR), removed
 * after it stopped, unless `env` names one. `server` has url, port, host,
 * origin, config, dataDir, env (what the CLI needs to reach the same
 * database), headers, token and output().
 *
 * With `signIn` (true, or the options of apiToken()), a user and an API
 * token are made with the CLI before `fn` runs: `server.token` is the token
 * and `server.headers` the Authorization header to send. Otherwise
 * `server.headers` is empty.
 */
export async function withServer(config, fn, { args = [], env = {}, signIn = false } = {}) {
  const s = spawnServe(['--config', config, '--listen', '127.0.0.1:0', ...args], { env });
  const started = await s.ready;
  if (!started.url) {
    throw new Error(`the server did not start (${JSON.stringify(started.exited)}):\n${s.stdout()}${s.stderr()}`);
  }
  const parsed = new URL(started.url);
  const server = {
    url: started.url,
    port: Number(parsed.port),
    host: parsed.hostname,
    origin: parsed.origin,
    config,
    dataDir: s.dataDir,
    env: { PORTCULLIS_DATA_DIR: s.dataDir },
    headers: {},
    token: undefined,
    stdout: () => s.stdout(),
    output: () => s.stdout() + s.stderr(),
  };
  let failed = false;
  try {
    if (signIn) {
      server.token = await apiToken(server, signIn === true ? {} : signIn);
      server.headers = bearer(server.token);
    }
    return await fn(server);
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
    if (!failed) {
      assert.deepEqual(exit, { code: 0, signal: null }, `the server did not exit cleanly:\n${server.output()}`);
    }
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Holds a port on 127.0.0.1 until `close()` is called. */
export async function occupyPort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  return { port: srv.address().port, close: () => new Promise((resolve) => srv.close(resolve)) };
}

/**
 * Runs `portcullis ARGS...` to completion from the repository root.
 * `input`, when given, is written to its standard input (otherwise stdin is
 * closed). Without PORTCULLIS_DATA_DIR in `env` the command gets a fresh
 * data directory of its own, removed afterwards, so it never touches ./var.
 * @returns {Promise<{code: number|null, signal: string|null, stdout: string, stderr: string}>}
 */
export async function runCli(args, { env = {}, cwd = ROOT, timeout = CLI_BOUND_MS, input } = {}) {
  const ownDataDir = env.PORTCULLIS_DATA_DIR === undefined;
  const dataDir = ownDataDir ? makeDataDir() : env.PORTCULLIS_DATA_DIR;
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(BIN, args, {
        cwd,
        env: { ...process.env, ...env, PORTCULLIS_DATA_DIR: dataDir },
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      if (input !== undefined) {
        child.stdin.on('error', () => {}); // the command may exit without reading it
        child.stdin.end(input);
      }
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`portcullis ${args.join(' ')} did not finish within ${timeout} ms\n${stdout}\n${stderr}`));
      }, timeout);
      child.once('error', (e) => { clearTimeout(timer); reject(e); });
      child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    });
  } finally {
    if (ownDataDir) await removeDataDir(dataDir);
  }
}

/**
 * Spawns `portcullis serve ARGS...` and waits until it prints its URL or exits.
 * Unlike support/server.mjs it adds no --listen, so tests can check how the
 * address is chosen. Without PORTCULLIS_DATA_DIR in `env` the server gets a
 * fresh data directory (`dataDir`), removed once the process has exited;
 * `exit()`, `stop()` and `ready` (when the server exits) settle only after
 * that removal.
 */
export function spawnServe(args, { env = {}, cwd = ROOT } = {}) {
  const ownDataDir = env.PORTCULLIS_DATA_DIR === undefined;
  const dataDir = ownDataDir ? makeDataDir() : env.PORTCULLIS_DATA_DIR;
  const child = spawn(BIN, ['serve', ...args], {
    cwd,
    env: { ...process.env, ...env, PORTCULLIS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
    .then(async (r) => {
      if (ownDataDir) await removeDataDir(dataDir);
      return r;
    });
  const ready = new Promise((resolve) => {
    const check = () => {
      const m = /serving MCP at (\S+)/.exec(stdout);
      if (m) resolve({ url: m[1] });
    };
    child.stdout.on('data', (d) => { stdout += d; check(); });
    child.stderr.on('data', (d) => { stderr += d; });
    exited.then((r) => resolve({ exited: r }));
  });
  return {
    child,
    dataDir,
    ready: within(ready, `portcullis serve ${args.join(' ')} to start or exit`, CLI_BOUND_MS),
    /** Waits (bounded) for the process to exit on its own. */
    exit: () => within(exited, `portcullis serve ${args.join(' ')} to exit`, CLI_BOUND_MS),
    stdout: () => stdout,
    stderr: () => stderr,
    /** SIGTERM, then waits (bounded) for the exit; SIGKILL when the bound passes. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      try {
        return await within(exited, 'the server to exit after SIGTERM', CLI_BOUND_MS);
      } catch (e) {
        child.kill('SIGKILL');
        await within(exited, 'the server to exit after SIGKILL', CLI_BOUND_MS).catch(() => {});
        throw e;
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Users and API tokens, made with the real CLI as a script user would: the
// same --config and PORTCULLIS_DATA_DIR as the server.

/** Runs `portcullis ARGS... --config <server's config>` on the server's database. */
export function serverCli(server, args, { env = {}, ...options } = {}) {
  return runCli([...args, '--config', server.config], { ...options, env: { ...server.env, ...env } });
}

/** The CLI's output, for assertion messages. */
export function described(r) {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** `portcullis users add NAME` on the server's database; fails the test unless it works. */
export async function addUser(server, name, { role, email, password } = {}) {
  const args = ['users', 'add', name];
  if (role) args.push('--role', role);
  if (email) args.push('--email', email);
  if (password !== undefined) args.push('--password-stdin');
  const r = await serverCli(server, args, password !== undefined ? { input: `${password}\n` } : {});
  assert.equal(r.code, 0, `users add ${name}: ${described(r)}`);
  return r;
}

/**
 * `portcullis tokens create --user USER` on the server's database; fails
 * the test unless it works and prints the token alone on standard output.
 * @returns {Promise<{token: string, id: string}>}
 */
export async function createToken(server, user, { scopes, ttl, name } = {}) {
  const args = ['tokens', 'create', '--user', user];
  if (scopes !== undefined) args.push('--scopes', scopes);
  if (ttl !== undefined) args.push('--ttl', ttl);
  if (name !== undefined) args.push('--name', name);
  const r = await serverCli(server, args);
  assert.equal(r.code, 0, `tokens create --user ${user}: ${described(r)}`);
  assert.match(r.stdout, /^pct_[A-Za-z0-9_-]+\n$/, `the token alone on standard output: ${described(r)}`);
  const id = /created (tok_\S+) for /.exec(r.stderr)?.[1];
  assert.ok(id, `the token id on standard error: ${described(r)}`);
  return { token: r.stdout.trim(), id };
}

let nextUser = 1;

/**
 * Makes a user (named `user`, or a new name) and an API token for it, and
 * returns the token.
 */
export async function apiToken(server, { user = `e2e-user-${nextUser++}`, role, scopes, ttl, name } = {}) {
  await addUser(server, user, { role });
  return (await createToken(server, user, { scopes, ttl, name })).token;
}

/** The Authorization header for a bearer token. */
export function bearer(token) {
  return { Authorization: `Bearer ${token}` };
}

/**
 * The parameters of a `WWW-Authenticate: Bearer k="v", ...` challenge, or
 * null when the header is absent or not a Bearer challenge.
 */
export function parseChallenge(header) {
  if (!header) return null;
  const m = /^Bearer\s+(.*)$/is.exec(header.trim());
  if (!m) return null;
  const params = {};
  const re = /\s*([A-Za-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
  let p;
  let end = 0;
  while ((p = re.exec(m[1])) !== null) {
    params[p[1]] = p[2].replace(/\\(.)/g, '$1');
    end = re.lastIndex;
  }
  assert.equal(end, m[1].length, `a well-formed challenge: ${header}`);
  return params;
}

export const MCP_SCOPES = ['tools:read', 'tools:call', 'resources:read', 'prompts:read'];

/**
 * Checks that `res` is the sign-in challenge of `server`: 401, a Bearer
 * WWW-Authenticate whose resource_metadata is this server's
 * /.well-known/oauth-protected-resource/mcp and whose scope lists the MCP
 * scopes, and `error` as given (none when no token was sent). Reads the body.
 * @returns the challenge parameters
 */
export async function assertChallenge(res, server, { error } = {}) {
  const body = await within(res.text(), 'the body of the 401');
  assert.equal(res.status, 401, `401 without a valid token, got ${res.status}: ${body}`);
  const header = res.headers.get('www-authenticate');
  const challenge = parseChallenge(header);
  assert.ok(challenge, `a Bearer challenge, got WWW-Authenticate: ${header}`);
  assert.equal(challenge.resource_metadata, `${server.origin}/.well-known/oauth-protected-resource/mcp`, header);
  assert.deepEqual(challenge.scope?.split(' ').sort(), [...MCP_SCOPES].sort(), header);
  assert.equal(challenge.error, error, `error in ${header}`);
  return challenge;
}

// ---------------------------------------------------------------------------
// Server-sent events and the 2026-07-28 protocol over plain fetch.

/** Yields {event, id, data} for each event of an SSE response body. */
export async function* sseEvents(body) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = { event: 'message', id: undefined, data: [] };
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') event.data.push(value);
        else if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
      }
      yield { ...event, data: event.data.join('\n') };
    }
  }
}

/** The JSON-RPC messages of an SSE body, priming and keep-alive events skipped. */
export async function* sseMessages(body) {
  for await (const e of sseEvents(body)) {
    if (e.event === 'message' && e.data.trim() !== '') yield JSON.parse(e.data);
  }
}

export const MODERN = '2026-07-28';
export const META = {
  version: 'io.modelcontextprotocol/protocolVersion',
  capabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
};

let nextId = 1;

/** The headers and body of a 2026-07-28 request, _meta filled in. */
export function modernRequest(method, params = {}, { capabilities = {}, id = nextId++, name } = {}) {
  const body = {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        [META.version]: MODERN,
        [META.capabilities]: capabilities,
        [META.clientInfo]: { name: 'portcullis-e2e-modern', version: '1.0.0' },
        ...(params._meta ?? {}),
      },
    },
  };
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': MODERN,
    'Mcp-Method': method,
  };
  const mirrored = name ?? (method === 'tools/call' || method === 'prompts/get' ? params.name
    : method === 'resources/read' ? params.uri : undefined);
  if (mirrored !== undefined) headers['Mcp-Name'] = mirrored;
  return { headers, body };
}

/**
 * Sends one 2026-07-28 request and collects its answer, whether the server
 * replied with plain JSON or with an event stream.
 * @returns {Promise<{status: number, headers: Headers, response: any, notifications: any[]}>}
 */
export async function modernCall(url, method, params = {}, options = {}) {
  const { headers, body } = modernRequest(method, params, options);
  const res = await within(fetch(url, {
    method: 'POST',
    headers: { ...headers, ...(options.headers ?? {}) },
    body: JSON.stringify(body),
  }), `a response to ${method}`);
  const type = res.headers.get('content-type') ?? '';
  const notifications = [];
  let response;
  if (type.startsWith('text/event-stream')) {
    await within((async () => {
      for await (const m of sseMessages(res.body)) {
        if ('id' in m && m.id === body.id && ('result' in m || 'error' in m)) {
          response = m;
          break;
        }
        notifications.push(m);
      }
    })(), `the end of the ${method} event stream`);
  } else {
    const text = await within(res.text(), `the body of the ${method} response`);
    response = text === '' ? undefined : JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, response, notifications, id: body.id };
}

/** The text of the first content block of a tool result. */
export function firstText(result) {
  assert.ok(Array.isArray(result?.content), `a tool result with content, got ${JSON.stringify(result)}`);
  const block = result.content.find((c) => c.type === 'text');
  assert.ok(block, `a text block in ${JSON.stringify(result)}`);
  return block.text;
}
