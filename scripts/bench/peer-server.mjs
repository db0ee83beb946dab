// The peer for scripts/bench/run.sh: the official MCP TypeScript SDK serving
// one tool equivalent to Portcullis' demo_echo over Streamable HTTP.
//
//   node peer-server.mjs [--port N] [--mode session|stateless] [--http node|express]
//
// --mode session (default): the SDK's stateful mode. A client initializes
//   once and reuses Mcp-Session-Id; every POST is answered with plain JSON
//   (enableJsonResponse), no SSE framing. One McpServer + transport per
//   session, looked up by the Mcp-Session-Id header. This is the SDK's
//   fastest mode for a client that makes many calls.
// --mode stateless: no session; a new McpServer + transport per request, as
//   the SDK requires (a stateless transport cannot be reused).
// --http node (default): node:http calling transport.handleRequest(req, res,
//   parsedBody) directly (the body read and JSON.parse'd as express.json()
//   would), with the same loopback Host check the SDK's express helper does.
// --http express: createMcpExpressApp() (express + express.json() + the SDK's
//   DNS-rebinding middleware), the setup the SDK documents.
//
// Prints "listening on PORT" once it accepts connections.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = process.env.PC_E2E_DIR || path.resolve(here, '../../tests/e2e');
const require = createRequire(path.join(e2e, 'package.json'));

const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { isInitializeRequest } = require('@modelcontextprotocol/sdk/types.js');
const { z } = require('zod');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const port = Number(option('port', '0'));
const mode = option('mode', 'session');
const httpLayer = option('http', 'node');
if (!['session', 'stateless'].includes(mode) || !['node', 'express'].includes(httpLayer)) {
  console.error('usage: peer-server.mjs [--port N] [--mode session|stateless] [--http node|express]');
  process.exit(2);
}

// The same tool as plugins/primitives/demo: demo_echo {text} -> text.
function newServer() {
  const server = new McpServer({ name: 'bench-peer', version: '1.0.0' });
  server.registerTool(
    'demo_echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given.',
      inputSchema: { text: z.string().describe('Text to echo back') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

const sessions = new Map(); // Mcp-Session-Id -> transport

function reply(res, status, message) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

// body: the parsed JSON body of a POST (express.json() or readJson), passed to
// handleRequest as its parsedBody.
async function handle(req, res, body) {
  if (mode === 'stateless') {
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    return;
  }
  const id = req.headers['mcp-session-id'];
  let transport = id ? sessions.get(id) : undefined;
  if (!transport) {
    if (id) return reply(res, 404, 'Session not found');
    if (req.method !== 'POST') return reply(res, 400, 'Bad Request: Mcp-Session-Id header is required');
    if (!isInitializeRequest(body)) return reply(res, 400, 'Bad Request: Mcp-Session-Id header is required');
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (sid) => sessions.set(sid, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res, body);
}

function onError(res, error) {
  console.error(error);
  if (!res.headersSent) reply(res, 500, 'Internal error');
}

let listener;
if (httpLayer === 'express') {
  const { createMcpExpressApp } = require('@modelcontextprotocol/sdk/server/express.js');
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  app.all('/mcp', (req, res) => handle(req, res, req.body).catch((e) => onError(res, e)));
  listener = http.createServer(app);
} else {
  const loopback = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;
  listener = http.createServer((req, res) => {
    if (!loopback.test(req.headers.host || '')) return reply(res, 403, 'Forbidden: Host not allowed');
    if (req.url.split('?')[0] !== '/mcp') return reply(res, 404, 'Not found');
    const go = async () => {
      let body;
      if (req.method === 'POST') {
        try {
          body = await readJson(req);
        } catch {
          return reply(res, 400, 'Parse error');
        }
      }
      await handle(req, res, body);
    };
    go().catch((e) => onError(res, e));
  });
}
listener.keepAliveTimeout = 60_000;
listener.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${listener.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
