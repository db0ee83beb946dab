// Opens many idle SSE streams against Portcullis, holds them, and reports the
// server's memory and threads while they are open (scripts/bench/sse-idle.sh).
//
//   node sse-idle.mjs --url http://127.0.0.1:PORT/mcp --pid PID [--streams 10000]
//        [--mode session|listen] [--hold SECONDS] [--concurrency N]
//
// --mode session: 2025-11-25. One initialize (+ notifications/initialized)
//   per stream over a few keep-alive connections, then one GET stream per
//   session, each on its own connection.
// --mode listen: 2026-07-28. One POST subscriptions/listen per stream, each on
//   its own connection; the reply is an SSE stream that stays open.
// While the streams are open it reads VmRSS, VmHWM and Threads from
// /proc/PID/status and the number of open descriptors, and checks that a
// normal tools/call still succeeds. Prints one JSON object.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const url = new URL(opt('url'));
const pid = Number(opt('pid'));
const total = Number(opt('streams', '10000'));
const mode = opt('mode', 'session');
const holdSeconds = Number(opt('hold', '5'));
const concurrency = Number(opt('concurrency', '64'));
const host = url.hostname;
const port = Number(url.port);
const hostHeader = `${host}:${port}`;

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

function procStatus() {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number((text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm')) || [])[1]);
  return {
    rssKb: field('VmRSS'),
    hwmKb: field('VmHWM'),
    threads: field('Threads'),
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function post(body, headers = {}, via = agent) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        host,
        port,
        path: url.pathname,
        method: 'POST',
        agent: via,
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Content-Length': Buffer.byteLength(data),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function initializeSession(i) {
  const r = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: `idle-${i}`, version: '1.0.0' } },
  });
  const sid = r.headers['mcp-session-id'];
  if (r.status !== 200 || !sid) throw new Error(`initialize: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  const n = await post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' },
  );
  if (n.status !== 202) throw new Error(`notifications/initialized: HTTP ${n.status}`);
  return sid;
}

// Runs fn(i) for i in [0, count) with at most `limit` in flight.
async function pool(count, limit, fn) {
  const results = new Array(count);
  let next = 0;
  const errors = [];
  async function worker() {
    while (next < count) {
      const i = next++;
      try {
        results[i] = await fn(i);
      } catch (e) {
        errors.push(String(e.message || e));
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return { results, errors };
}

const sockets = [];
let closedEarly = 0;

// Opens one stream; resolves once the 200 head has arrived.
function openStream(request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let head = '';
    let opened = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no response head within 30 s'));
    }, 30_000);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      if (opened) return; // heartbeats and events: read and drop
      head += chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      const status = head.slice(0, head.indexOf('\r\n'));
      if (!/^HTTP\/1\.1 200/.test(status) || !/content-type:\s*text\/event-stream/i.test(head.slice(0, end))) {
        socket.destroy();
        reject(new Error(`stream refused: ${status}`));
        return;
      }
      opened = true;
      head = '';
      sockets.push(socket);
      resolve();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      if (!opened) reject(e);
    });
    socket.on('close', () => {
      if (opened && !finishing) closedEarly++;
    });
  });
}

function getStreamRequest(sid) {
  return (
    `GET ${url.pathname} HTTP/1.1\r\nHost: ${hostHeader}\r\nAccept: text/event-stream\r\n` +
    `Mcp-Session-Id: ${sid}\r\nMCP-Protocol-Version: 2025-11-25\r\n\r\n`
  );
}

function listenRequest(i) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: i + 1,
    method: 'subscriptions/listen',
    params: { notifications: { toolsListChanged: true }, _meta: MODERN_META },
  });
  return (
    `POST ${url.pathname} HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Type: application/json\r\n` +
    `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n` +
    `Mcp-Method: subscriptions/listen\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

async function echoCall() {
  const started = process.hrtime.bigint();
  const r = await post(
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'demo_echo', arguments: { text: 'still here' }, _meta: MODERN_META },
    },
    { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'demo_echo' },
    false,
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ok: r.status === 200 && r.body.includes('still here'), status: r.status, ms };
}

let finishing = false;
const report = { mode, streams: total };
report.before = procStatus();

const t0 = Date.now();
let requests;
if (mode === 'session') {
  const { results, errors } = await pool(total, 16, initializeSession);
  report.sessionErrors = errors.length;
  if (errors.length) report.firstSessionError = errors[0];
  report.sessionsSeconds = (Date.now() - t0) / 1000;
  requests = results.filter(Boolean).map(getStreamRequest);
} else if (mode === 'listen') {
  requests = Array.from({ length: total }, (_, i) => listenRequest(i));
} else {
  console.error('--mode is session or listen');
  process.exit(2);
}
agent.destroy();

const t1 = Date.now();
const { errors } = await pool(requests.length, concurrency, (i) => openStream(requests[i]));
report.openSeconds = (Date.now() - t1) / 1000;
report.opened = sockets.length;
report.openErrors = errors.length;
if (errors.length) report.firstOpenError = errors[0];

await new Promise((r) => setTimeout(r, holdSeconds * 1000));
report.held = procStatus();
report.stillOpen = sockets.length - closedEarly;
report.echo = await echoCall();
report.after = procStatus();

finishing = true;
for (const s of sockets) s.destroy();
console.log(JSON.stringify(report));
process.exit(0);
