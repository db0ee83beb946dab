// The official TypeScript SDK client (@modelcontextprotocol/sdk) against a
// real Portcullis: Streamable HTTP and the legacy HTTP+SSE transport, on the
// default configuration (sign-in required: the client sends an API token made
// with the CLI) and on config/examples/open.yaml (no sign-in), plus the
// interactive features the conformance plugin offers (progress, sampling,
// elicitation, stream polling) and the older protocol revisions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LATEST_PROTOCOL_VERSION,
} from '@modelcontextprotocol/sdk/types.js';
import {
  withServer, within, firstText, boundedFetch, assertChallenge, SUITE_BOUND, WAIT_MS,
} from './support/mcp.mjs';

const DEFAULT = 'config/portcullis.yaml';
const OPEN = 'config/examples/open.yaml';
const CONFIGS = [DEFAULT, OPEN];
// The configurations that require sign-in; tests against them send an API token.
const SIGNED_IN = new Set([DEFAULT]);
const DEMO_TOOLS = ['demo_echo', 'demo_get_time', 'demo_get_help', 'whoami'];
// A request the SDK sends may wait on the server; this bounds each one.
const REQUEST = { timeout: WAIT_MS };

function newClient(capabilities = {}) {
  return new Client({ name: 'portcullis-e2e-sdk', version: '1.0.0' }, { capabilities });
}

/** Records every HTTP request the SDK makes, for header checks. */
function recordingFetch() {
  const requests = [];
  const wrapped = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    let body;
    try { body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined; } catch { body = undefined; }
    const entry = { url: String(url), method: init.method ?? 'GET', headers, body };
    requests.push(entry);
    const res = await fetch(url, init);
    entry.status = res.status;
    return res;
  };
  return { fetch: wrapped, requests };
}

/**
 * Transport options that send the server's Authorization header (if any) on
 * every request. Both SDK transports add `requestInit.headers` to each POST,
 * GET and DELETE they make, the HTTP+SSE transport also to the GET /sse of
 * its EventSource (SSEClientTransport._commonHeaders in SDK 1.32.2).
 */
function withHeaders(server, options = {}) {
  return { ...options, requestInit: { ...options.requestInit, headers: { ...server.headers, ...options.requestInit?.headers } } };
}

async function connectStreamable(server, { capabilities, transportOptions, transport } = {}) {
  const client = newClient(capabilities);
  const t = transport ?? new StreamableHTTPClientTransport(new URL(server.url), withHeaders(server, transportOptions));
  await within(client.connect(t, REQUEST), 'the SDK client to connect over Streamable HTTP');
  return { client, transport: t };
}

async function connectSse(server, { capabilities, transportOptions } = {}) {
  const client = newClient(capabilities);
  const sseUrl = new URL('/sse', server.url);
  const transport = new SSEClientTransport(sseUrl, withHeaders(server, transportOptions));
  await within(client.connect(transport, REQUEST), 'the SDK client to connect over HTTP+SSE');
  return { client, transport };
}

/** Raw JSON-RPC POST headers, with the server's Authorization header if any. */
function postHeaders(server, extra = {}) {
  return { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...server.headers, ...extra };
}

const INITIALIZE = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function toolNames(client) {
  const names = [];
  let cursor;
  do {
    const page = await within(client.listTools(cursor ? { cursor } : {}, REQUEST), 'tools/list');
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names;
}

function assertTimestamp(text) {
  assert.match(text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, `an ISO-8601 UTC timestamp, got ${JSON.stringify(text)}`);
  const when = Date.parse(text);
  assert.ok(Number.isFinite(when), `${text} parses as a date`);
  // Same machine, same clock: a correctness check, not a timing one.
  assert.ok(Math.abs(when - Date.now()) < 10 * 60_000, `${text} is the current time`);
}

for (const config of CONFIGS) {
  const signIn = SIGNED_IN.has(config);
  const serve = (fn) => withServer(config, fn, { signIn });
  describe(`SDK client, ${config}`, SUITE_BOUND, () => {
    if (signIn) {
      test('without a token every MCP path answers 401 with a challenge naming this server', async () => {
        await withServer(config, async (server) => {
          const res = await within(boundedFetch(server.url, {
            method: 'POST', headers: postHeaders(server), body: JSON.stringify(INITIALIZE),
          }), 'POST /mcp without a token');
          assert.equal(res.headers.get('mcp-session-id'), null, 'no session without sign-in');
          const challenge = await assertChallenge(res, server);
          // The metadata it points at describes this very endpoint.
          const meta = await within(boundedFetch(challenge.resource_metadata), 'the protected-resource metadata');
          assert.equal(meta.status, 200);
          const doc = await meta.json();
          assert.equal(doc.resource, server.url);
          assert.deepEqual(doc.authorization_servers, [server.origin]);

          // The GET stream and DELETE of a session: refused before the
          // session is even looked up.
          const sessionHeaders = { 'Mcp-Session-Id': 'made-up-session', 'MCP-Protocol-Version': '2025-11-25' };
          const get = await within(boundedFetch(server.url, { headers: { Accept: 'text/event-stream', ...sessionHeaders } }), 'GET /mcp without a token');
          await assertChallenge(get, server);
          const del = await within(boundedFetch(server.url, { method: 'DELETE', headers: sessionHeaders }), 'DELETE /mcp without a token');
          await assertChallenge(del, server);
          const sse = await within(boundedFetch(new URL('/sse', server.url), { headers: { Accept: 'text/event-stream' } }), 'GET /sse without a token');
          await assertChallenge(sse, server);
          const messages = await within(boundedFetch(new URL('/messages?sessionId=none', server.url), {
            method: 'POST', headers: postHeaders(server), body: JSON.stringify(INITIALIZE),
          }), 'POST /messages without a token');
          await assertChallenge(messages, server);

          // A token that is not valid is told so.
          const forged = await within(boundedFetch(server.url, {
            method: 'POST',
            headers: postHeaders(server, { Authorization: 'Bearer pct_notARealTokenNotARealTokenNotARealToken00' }),
            body: JSON.stringify(INITIALIZE),
          }), 'POST /mcp with a made-up token');
          await assertChallenge(forged, server, { error: 'invalid_token' });
        });
      });

      test('without a token the SDK client cannot connect, over either transport', async () => {
        await withServer(config, async (server) => {
          const client = newClient();
          await assert.rejects(
            within(client.connect(new StreamableHTTPClientTransport(new URL(server.url)), REQUEST), 'connect without a token'),
            (e) => /401|Unauthorized/i.test(`${e?.message} ${e?.code}`),
          );
          await client.close();
          const legacy = newClient();
          await assert.rejects(
            within(legacy.connect(new SSEClientTransport(new URL('/sse', server.url)), REQUEST), 'connect over SSE without a token'),
            (e) => e?.code === 401 || /401|Unauthorized/i.test(`${e?.message}`),
          );
          await legacy.close();
        });
      });
    } else {
      test('no token is needed: initialize is answered and there is no OAuth metadata', async () => {
        await withServer(config, async (server) => {
          assert.deepEqual(server.headers, {});
          const res = await within(boundedFetch(server.url, {
            method: 'POST', headers: postHeaders(server), body: JSON.stringify(INITIALIZE),
          }), 'initialize without a token');
          assert.equal(res.status, 200, await res.clone().text());
          assert.equal(res.headers.get('www-authenticate'), null);
          assert.equal((await res.json()).result.serverInfo.name, 'portcullis');
          const meta = await within(boundedFetch(new URL('/.well-known/oauth-protected-resource/mcp', server.url)), 'the metadata');
          assert.equal(meta.status, 404);
          await meta.arrayBuffer();
        });
      });
    }

    test('Streamable HTTP: connects and lists the demo tools', async () => {
      await serve(async (server) => {
        const { client, transport } = await connectStreamable(server);
        try {
          assert.equal(client.getServerVersion()?.name, 'portcullis');
          assert.ok(client.getServerCapabilities()?.tools, 'the server announces tools');
          assert.equal(transport.protocolVersion, LATEST_PROTOCOL_VERSION);
          assert.ok(transport.sessionId, 'the server assigned an Mcp-Session-Id');
          const names = await toolNames(client);
          for (const name of DEMO_TOOLS) assert.ok(names.includes(name), `tools/list has ${name}: ${names}`);
          assert.equal(new Set(names).size, names.length, `no tool is listed twice: ${names}`);

          const { tools } = await client.listTools({}, REQUEST);
          const echo = tools.find((t) => t.name === 'demo_echo');
          assert.deepEqual(echo.inputSchema.required, ['text']);

          const help = await within(client.callTool({ name: 'demo_get_help', arguments: {} }, undefined, REQUEST), 'demo_get_help');
          assert.ok(!help.isError, JSON.stringify(help));
          assert.match(firstText(help), /demo_echo \{text\}/);

          // whoami reports the session's protocol and the SDK's clientInfo.
          const who = await within(client.callTool({ name: 'whoami', arguments: {} }, undefined, REQUEST), 'whoami');
          assert.ok(!who.isError, JSON.stringify(who));
          const identity = who.structuredContent ?? JSON.parse(firstText(who));
          assert.equal(identity.protocolVersion, LATEST_PROTOCOL_VERSION);
          assert.equal(identity.clientInfo?.name, 'portcullis-e2e-sdk');
          if (signIn) {
            // The caller is the user the API token belongs to.
            assert.equal(identity.authenticated, true, JSON.stringify(identity));
            assert.match(identity.username ?? '', /^e2e-user-\d+$/, JSON.stringify(identity));
            assert.match(identity.clientId ?? '', /^api-token:tok_/, JSON.stringify(identity));
            assert.deepEqual([...identity.scopes].sort(), ['prompts:read', 'resources:read', 'tools:call', 'tools:read']);
          } else {
            assert.notEqual(identity.authenticated, true, JSON.stringify(identity));
          }
        } finally {
          await client.close();
        }
      });
    });

    test('Streamable HTTP: demo_echo returns exactly the text it is given', async () => {
      await serve(async (server) => {
        const { client } = await connectStreamable(server);
        try {
          for (const text of ['hello', 'Grüße, 世界 — "quoted" \\ back\nslash\ttab 🚪', ' ']) {
            const result = await within(client.callTool({ name: 'demo_echo', arguments: { text } }, undefined, REQUEST), 'demo_echo');
            assert.ok(!result.isError, JSON.stringify(result));
            assert.deepEqual(result.content, [{ type: 'text', text }]);
          }
        } finally {
          await client.close();
        }
      });
    });

    test('Streamable HTTP: demo_get_time returns an ISO-8601 UTC timestamp', async () => {
      await serve(async (server) => {
        const { client } = await connectStreamable(server);
        try {
          const result = await within(client.callTool({ name: 'demo_get_time', arguments: {} }, undefined, REQUEST), 'demo_get_time');
          assert.ok(!result.isError, JSON.stringify(result));
          assertTimestamp(firstText(result));
        } finally {
          await client.close();
        }
      });
    });

    test('Streamable HTTP: lists and reads demo://readme', async () => {
      await serve(async (server) => {
        const { client } = await connectStreamable(server);
        try {
          const { resources } = await within(client.listResources({}, REQUEST), 'resources/list');
          const readme = resources.find((r) => r.uri === 'demo://readme');
          assert.ok(readme, `resources/list has demo://readme: ${JSON.stringify(resources)}`);
          assert.equal(readme.mimeType, 'text/markdown');

          const { contents } = await within(client.readResource({ uri: 'demo://readme' }, REQUEST), 'resources/read');
          assert.equal(contents.length, 1);
          assert.equal(contents[0].uri, 'demo://readme');
          assert.equal(contents[0].mimeType, 'text/markdown');
          assert.match(contents[0].text, /^# Portcullis demo\n/);
          assert.match(contents[0].text, /demo_echo/);
        } finally {
          await client.close();
        }
      });
    });

    test('Streamable HTTP: lists and gets the demo_greeting prompt, and completes its argument', async () => {
      await serve(async (server) => {
        const { client } = await connectStreamable(server);
        try {
          const { prompts } = await within(client.listPrompts({}, REQUEST), 'prompts/list');
          const greeting = prompts.find((p) => p.name === 'demo_greeting');
          assert.ok(greeting, `prompts/list has demo_greeting: ${JSON.stringify(prompts)}`);
          assert.deepEqual(greeting.arguments?.map((a) => [a.name, a.required]), [['name', true]]);

          const prompt = await within(client.getPrompt({ name: 'demo_greeting', arguments: { name: 'Grace' } }, REQUEST), 'prompts/get');
          assert.equal(prompt.messages.length, 1);
          assert.equal(prompt.messages[0].role, 'user');
          assert.equal(prompt.messages[0].content.type, 'text');
          assert.match(prompt.messages[0].content.text, /Please greet Grace warmly\./);

          assert.ok(client.getServerCapabilities()?.completions, 'the server announces completions');
          const ref = { type: 'ref/prompt', name: 'demo_greeting' };
          const some = await within(client.complete({ ref, argument: { name: 'name', value: 'A' } }, REQUEST), 'completion/complete');
          assert.deepEqual(some.completion.values, ['Ada', 'Alan']);
          assert.equal(some.completion.hasMore, false);
          const all = await client.complete({ ref, argument: { name: 'name', value: '' } }, REQUEST);
          assert.deepEqual(all.completion.values, ['Ada', 'Alan', 'Grace', 'Linus']);
          const none = await client.complete({ ref, argument: { name: 'name', value: 'Z' } }, REQUEST);
          assert.deepEqual(none.completion.values, []);
        } finally {
          await client.close();
        }
      });
    });

    test('legacy HTTP+SSE (/sse): connects, lists and calls tools', async () => {
      await serve(async (server) => {
        const { client } = await connectSse(server);
        try {
          assert.equal(client.getServerVersion()?.name, 'portcullis');
          const names = await toolNames(client);
          for (const name of DEMO_TOOLS) assert.ok(names.includes(name), `tools/list has ${name}: ${names}`);
          const text = 'over the legacy transport — ünïcødé';
          const echo = await within(client.callTool({ name: 'demo_echo', arguments: { text } }, undefined, REQUEST), 'demo_echo over SSE');
          assert.deepEqual(echo.content, [{ type: 'text', text }]);
          const time = await within(client.callTool({ name: 'demo_get_time', arguments: {} }, undefined, REQUEST), 'demo_get_time over SSE');
          assertTimestamp(firstText(time));
          const { contents } = await within(client.readResource({ uri: 'demo://readme' }, REQUEST), 'resources/read over SSE');
          assert.match(contents[0].text, /^# Portcullis demo/);
        } finally {
          await client.close();
        }
      });
    });
  });
}

describe('SDK client, interactive features (config/examples/open.yaml)', SUITE_BOUND, () => {
  const config = 'config/examples/open.yaml';

  test('progress notifications reach onprogress for test_tool_with_progress', async () => {
    await withServer(config, async (server) => {
      const { client } = await connectStreamable(server);
      try {
        const seen = [];
        const result = await within(client.callTool(
          { name: 'test_tool_with_progress', arguments: {} },
          undefined,
          { ...REQUEST, onprogress: (p) => seen.push(p) },
        ), 'test_tool_with_progress');
        assert.ok(!result.isError, JSON.stringify(result));
        assert.deepEqual(seen.map((p) => [p.progress, p.total]), [[0, 100], [50, 100], [100, 100]]);
        assert.equal(seen[1].message, 'Completed step 50 of 100');
        // The tool answers with the progress token the SDK chose.
        assert.match(firstText(result), /^\d+$/);
      } finally {
        await client.close();
      }
    });
  });

  test('sampling and elicitation requests reach the client handlers and their answers come back', async () => {
    await withServer(config, async (server) => {
      const sampled = [];
      const elicited = [];
      const client = newClient({ sampling: {}, elicitation: {} });
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        sampled.push(request.params);
        return { role: 'assistant', content: { type: 'text', text: 'Four, of course.' }, model: 'e2e-model', stopReason: 'endTurn' };
      });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        elicited.push(request.params);
        return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
      });
      await within(client.connect(new StreamableHTTPClientTransport(new URL(server.url)), REQUEST), 'the SDK client to connect');
      try {
        const sampling = await within(client.callTool({ name: 'test_sampling', arguments: { prompt: 'What is 2+2?' } }, undefined, REQUEST), 'test_sampling');
        assert.ok(!sampling.isError, JSON.stringify(sampling));
        assert.equal(firstText(sampling), 'LLM response: Four, of course.');
        assert.equal(sampled.length, 1);
        assert.equal(sampled[0].messages[0].role, 'user');
        assert.deepEqual(sampled[0].messages[0].content, { type: 'text', text: 'What is 2+2?' });
        assert.equal(sampled[0].maxTokens, 100);

        const elicitation = await within(client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } }, undefined, REQUEST), 'test_elicitation');
        assert.ok(!elicitation.isError, JSON.stringify(elicitation));
        const m = /^User response: action=accept, content=(.*)$/s.exec(firstText(elicitation));
        assert.ok(m, firstText(elicitation));
        assert.deepEqual(JSON.parse(m[1]), { username: 'ada', email: 'ada@example.com' });
        assert.equal(elicited.length, 1);
        assert.equal(elicited[0].message, 'Who are you?');
        assert.deepEqual(elicited[0].requestedSchema.required, ['username', 'email']);
      } finally {
        await client.close();
      }
    });
  });

  test('sampling and elicitation also work over the legacy HTTP+SSE transport', async () => {
    await withServer(config, async (server) => {
      // The SDK POSTs through `fetch`; this one sends them over a keep-alive
      // node:http Agent, which reuses the most recently freed connection
      // first, as HTTP/1.1 client pools commonly do. A client also answers a
      // server request some time after its own POST completed (a person reads
      // the question first); the handlers model that by waiting until no POST
      // is in flight, so the answer travels on the connection that carried
      // the tools/call.
      const agent = new http.Agent({ keepAlive: true });
      let inFlight = 0;
      let idleWaiters = [];
      const agentFetch = (url, init = {}) => {
        if ((init.method ?? 'GET') !== 'POST') return fetch(url, init);
        inFlight += 1;
        const settle = () => {
          inFlight -= 1;
          if (inFlight === 0) { idleWaiters.forEach((w) => w()); idleWaiters = []; }
        };
        return new Promise((resolve, reject) => {
          const req = http.request(url, { method: 'POST', agent, headers: Object.fromEntries(new Headers(init.headers)) }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('error', (e) => { settle(); reject(e); });
            res.on('end', () => {
              const headers = new Headers();
              for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
              const body = Buffer.concat(chunks);
              settle();
              resolve(new Response(body.length ? body : null, { status: res.statusCode, headers }));
            });
          });
          req.setTimeout(WAIT_MS, () => req.destroy(new Error('POST timed out')));
          req.on('error', (e) => { settle(); reject(e); });
          init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
          req.end(init.body);
        });
      };
      const postsIdle = () => within(new Promise((resolve) => {
        if (inFlight === 0) resolve(); else idleWaiters.push(resolve);
      }), "the client's POSTs to complete");

      const client = newClient({ sampling: {}, elicitation: {} });
      client.setRequestHandler(CreateMessageRequestSchema, async () => {
        await postsIdle();
        return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'e2e-model' };
      });
      client.setRequestHandler(ElicitRequestSchema, async () => {
        await postsIdle();
        return { action: 'decline' };
      });
      await within(client.connect(new SSEClientTransport(new URL('/sse', server.url), { fetch: agentFetch }), REQUEST), 'connect over SSE');
      try {
        const sampling = await within(client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } }, undefined, REQUEST), 'test_sampling over SSE');
        assert.equal(firstText(sampling), 'LLM response: Paris');
        const elicitation = await within(client.callTool({ name: 'test_elicitation', arguments: { message: 'Name?' } }, undefined, REQUEST), 'test_elicitation over SSE');
        assert.equal(firstText(elicitation), 'User response: action=decline, content={}');
      } finally {
        await client.close();
        agent.destroy();
      }
    });
  });

  test('the client survives the server polling its stream (test_reconnection) and gets the result', async () => {
    await withServer(config, async (server) => {
      const recorder = recordingFetch();
      const errors = [];
      const { client, transport } = await connectStreamable(server, {
        transportOptions: {
          fetch: recorder.fetch,
          // Bounded reconnection; the server's retry field sets the delay.
          reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 5_000, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
        },
      });
      transport.onerror = (e) => errors.push(e);
      try {
        const result = await within(client.callTool({ name: 'test_reconnection', arguments: {} }, undefined, REQUEST), 'test_reconnection');
        assert.ok(!result.isError, JSON.stringify(result));
        assert.match(firstText(result), /^Reconnection test completed successfully\./);
        // The result came over a resumed stream: a GET with Last-Event-ID.
        const resumed = recorder.requests.filter((r) => r.method === 'GET' && r.headers.get('last-event-id'));
        assert.ok(resumed.length >= 1, `the SDK resumed with Last-Event-ID; requests: ${recorder.requests.map((r) => `${r.method} ${r.status}`).join(', ')}`);
        assert.ok(resumed.every((r) => r.status === 200), `every resumption was accepted: ${resumed.map((r) => r.status)}`);
        // The session still works afterwards.
        const echo = await within(client.callTool({ name: 'demo_echo', arguments: { text: 'still here' } }, undefined, REQUEST), 'demo_echo after reconnection');
        assert.equal(firstText(echo), 'still here');
      } finally {
        await client.close();
      }
    });
  });
});

// The SDK always offers its newest revision in initialize; this transport
// offers an older one, as a client built for that revision would, and the
// SDK then uses whatever the server negotiated.
class PinnedVersionTransport extends StreamableHTTPClientTransport {
  constructor(url, version, opts) {
    super(url, opts);
    this.offered = version;
  }

  async send(message, options) {
    if (message.method === 'initialize') {
      message = { ...message, params: { ...message.params, protocolVersion: this.offered } };
    }
    return super.send(message, options);
  }
}

describe(`SDK client, older protocol revisions (${DEFAULT}, with an API token)`, SUITE_BOUND, () => {
  for (const version of ['2025-06-18', '2025-03-26']) {
    test(`a client offering ${version} negotiates it and works`, async () => {
      await withServer(DEFAULT, async (server) => {
        const recorder = recordingFetch();
        const transport = new PinnedVersionTransport(new URL(server.url), version, withHeaders(server, { fetch: recorder.fetch }));
        const { client } = await connectStreamable(server, { transport });
        try {
          const init = recorder.requests.find((r) => r.body?.method === 'initialize');
          assert.equal(init.body.params.protocolVersion, version);
          assert.equal(transport.protocolVersion, version, 'the server answered initialize with the offered version');

          const names = await toolNames(client);
          for (const name of DEMO_TOOLS) assert.ok(names.includes(name), `tools/list has ${name}`);
          const echo = await within(client.callTool({ name: 'demo_echo', arguments: { text: version } }, undefined, REQUEST), 'demo_echo');
          assert.equal(firstText(echo), version);
          const who = await within(client.callTool({ name: 'whoami', arguments: {} }, undefined, REQUEST), 'whoami');
          assert.equal((who.structuredContent ?? JSON.parse(firstText(who))).protocolVersion, version);

          // Every request after initialize carried the negotiated version.
          const later = recorder.requests.filter((r) => r.body?.method && r.body.method !== 'initialize');
          assert.ok(later.length > 0);
          for (const r of later) assert.equal(r.headers.get('mcp-protocol-version'), version, `${r.body.method} header`);
          // And every request carried the token.
          for (const r of recorder.requests) assert.equal(r.headers.get('authorization'), `Bearer ${server.token}`, `${r.method} ${r.body?.method}`);
        } finally {
          await client.close();
        }
      }, { signIn: true });
    });

    test(`raw initialize with ${version} is answered with ${version} and a session`, async () => {
      await withServer(DEFAULT, async (server) => {
        const res = await within(boundedFetch(server.url, {
          method: 'POST',
          headers: postHeaders(server),
          body: JSON.stringify({
            jsonrpc: '2.0', id: 1, method: 'initialize',
            params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
          }),
        }), 'initialize');
        assert.equal(res.status, 200);
        const session = res.headers.get('mcp-session-id');
        assert.ok(session, 'Mcp-Session-Id is set');
        const body = await res.json();
        assert.equal(body.result.protocolVersion, version);
        assert.equal(body.result.serverInfo.name, 'portcullis');

        const headers = postHeaders(server, { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': version });
        const initialized = await boundedFetch(server.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
        assert.equal(initialized.status, 202);
        await initialized.arrayBuffer();
        const list = await boundedFetch(server.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
        assert.equal(list.status, 200);
        const listed = await list.json();
        assert.ok(listed.result.tools.some((t) => t.name === 'demo_echo'));
        const done = await boundedFetch(server.url, { method: 'DELETE', headers });
        assert.equal(done.status, 200);
        await done.arrayBuffer();
      }, { signIn: true });
    });
  }

  test('2025-03-26 allows a JSON-RPC batch', async () => {
    await withServer(DEFAULT, async (server) => {
      const version = '2025-03-26';
      const init = await boundedFetch(server.url, {
        method: 'POST',
        headers: postHeaders(server),
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      const session = init.headers.get('mcp-session-id');
      await init.arrayBuffer();
      const res = await boundedFetch(server.url, {
        method: 'POST',
        headers: postHeaders(server, { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': version }),
        body: JSON.stringify([
          { jsonrpc: '2.0', method: 'notifications/initialized' },
          { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'demo_echo', arguments: { text: 'one' } } },
          { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'demo_echo', arguments: { text: 'two' } } },
        ]),
      });
      assert.equal(res.status, 200);
      const replies = await res.json();
      assert.ok(Array.isArray(replies), JSON.stringify(replies));
      const byId = Object.fromEntries(replies.map((r) => [r.id, r]));
      assert.equal(firstText(byId.a.result), 'one');
      assert.equal(firstText(byId.b.result), 'two');
    }, { signIn: true });
  });
});
