// Helpers shared by the end-to-end tests: a server per test, bounded waits,
// the portcullis CLI as a child process, and a small raw-HTTP client for the
// 2026-07-28 protocol (which the TypeScript SDK does not speak).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { ROOT, BIN } from './server.mjs';

export { ROOT, BIN };

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

/** fetch with a bound on the whole exchange, body included. */
export function boundedFetch(url, init = {}) {
  return fetch(url, { signal: AbortSignal.timeout(WAIT_MS), ...init });
}

/**
 * Starts `portcullis serve --config CONFIG` on a free loopback port, runs
 * `fn(server)`, then stops the server with SIGTERM and checks that it shut
 * down cleanly (exit code 0, no signal). A server that does not stop within
 * the bound is killed, so a hung server cannot hang the test run.
 * `server` has url, port, host, output().
 */
export async function withServer(config, fn, { args = [], env = {} } = {}) {
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
    output: () => s.stdout() + s.stderr(),
  };
  let failed = false;
  try {
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
 * @returns {Promise<{code: number|null, signal: string|null, stdout: string, stderr: string}>}
 */
export function runCli(args, { env = {}, cwd = ROOT, timeout = CLI_BOUND_MS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  });
}

/**
 * Spawns `portcullis serve ARGS...` and waits until it prints its URL or exits.
 * Unlike support/server.mjs it adds no --listen, so tests can check how the
 * address is chosen.
 */
export function spawnServe(args, { env = {}, cwd = ROOT } = {}) {
  const child = spawn(BIN, ['serve', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
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
        throw e;
      }
    },
  };
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
