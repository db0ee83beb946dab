// The mcp_upstream connector end to end: a real upstream MCP server
// (@modelcontextprotocol/server-everything) federated into Portcullis and
// used through the official TypeScript SDK client.
//
//   - config/examples/federation.yaml runs it over stdio: its tools are
//     listed with the prefix everything_ beside the demo tools and are
//     callable, progress passes through;
//   - the stdio upstream is killed mid-session: the connector restarts it
//     and the next call works;
//   - its sampling request reaches a 2025 session client on its stream and
//     a 2026-07-28 client as input_required, answered on a retry;
//   - the same server as a Streamable HTTP upstream (`url:`), with
//     include/exclude globs and a rename, and a clear tool error once it is
//     gone; as a legacy HTTP+SSE upstream found by `transport: auto`;
//   - with sign-in and a policy, a member sees only some everything_* tools
//     and cannot call the others, while an admin sees them all;
//   - a misbehaving upstream (support/fake-upstream.mjs): garbage output,
//     stray replies, fields of the wrong type, a result that is not an
//     object and an oversized line never take the gateway down; list
//     changes reach the client (from a 2025 session and from a 2026-07-28
//     listen stream); cancellation reaches the upstream; with when_down:
//     hide its tools leave the list while it is down and return;
//   - identity assertions: an HTTP upstream gets a JWT naming the caller,
//     verifiable with the gateway's JWKS, and never the caller's own token.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  ROOT, withServer, within, eventually, freePort, apiToken, bearer, firstText, modernCall, serverCli, described,
  SUITE_BOUND, WAIT_MS,
} from './support/mcp.mjs';
import { tempDir } from './support/oauth.mjs';

const REQUEST = { timeout: WAIT_MS };
// The server settings of every temporary config (the tests add --listen).
const PREAMBLE = `
server:
  listen: 127.0.0.1:8080
data_dir: ./var
logging:
  level: info
`;
// Sign-in with the built-in identity provider; the plugin list continues.
const SIGN_IN = `auth:
  identity: builtin
plugins:
  - name: builtin
    kind: identity
    library: builtin
    config: {}
`;
const FAKE_UPSTREAM = path.join(ROOT, 'tests/e2e/support/fake-upstream.mjs');
const EVERYTHING = path.join(ROOT, 'tests/e2e/node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/**
 * The command line of a stdio server-everything. The marker (an extra
 * argument the server ignores) tells its process apart from others.
 */
function everythingCommand(marker) {
  return `'${process.execPath}' '${EVERYTHING}' stdio ${marker}`;
}

/** The pids of processes whose command line holds `marker`. */
function pidsWith(marker) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

async function connect(server, headers = {}, capabilities = {}) {
  const client = new Client({ name: 'portcullis-e2e-connectors', version: '1.0.0' }, { capabilities });
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } });
  await within(client.connect(transport, REQUEST), 'the SDK client to connect');
  return client;
}

async function toolNames(client) {
  const { tools } = await within(client.listTools(undefined, REQUEST), 'tools/list');
  return tools.map((t) => t.name);
}

async function callText(client, name, args) {
  const result = await within(client.callTool({ name, arguments: args }, undefined, REQUEST), name);
  assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result)}`);
  return firstText(result);
}

/** Starts server-everything over HTTP (mode streamableHttp or sse) on a free port. */
async function startEverythingHttp(mode = 'streamableHttp') {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, mode], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  await eventually(() => /(listening|running) on port/i.test(output) || child.exitCode !== null,
    'server-everything to listen');
  assert.equal(child.exitCode, null, `server-everything exited:\n${output}`);
  return {
    url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await within(exited, 'server-everything to exit');
    },
  };
}

/** Runs `fn(file)` with `text` written to a temporary config file. */
async function withConfig(text, fn) {
  const dir = await tempDir('portcullis-connectors-');
  try {
    const file = path.join(dir.path, 'portcullis.yaml');
    fs.writeFileSync(file, text);
    return await fn(file);
  } finally {
    await dir.remove();
  }
}

describe('mcp_upstream over stdio (config/examples/federation.yaml)', SUITE_BOUND, () => {
  test('lists the upstream tools with the prefix and calls them, with progress', async () => {
    const marker = `e2e-${crypto.randomUUID()}`;
    await withServer('config/examples/federation.yaml', async (server) => {
      const client = await connect(server);
      try {
        const names = await toolNames(client);
        for (const expected of ['demo_echo', 'everything_echo', 'everything_get-sum', 'everything_trigger-long-running-operation']) {
          assert.ok(names.includes(expected), `${expected} in ${names}`);
        }
        assert.ok(!names.includes('echo') && !names.includes('get-sum'), `no unprefixed upstream tools in ${names}`);

        assert.equal(await callText(client, 'everything_echo', { message: 'hello upstream' }), 'Echo: hello upstream');
        assert.match(await callText(client, 'everything_get-sum', { a: 2, b: 40 }), /\b42\b/);

        const progress = [];
        const result = await within(client.callTool(
          { name: 'everything_trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
          undefined,
          { ...REQUEST, onprogress: (p) => progress.push(p) },
        ), 'the long-running operation');
        assert.ok(!result.isError, JSON.stringify(result));
        assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3], `progress passed through: ${JSON.stringify(progress)}`);
        assert.ok(progress.every((p) => p.total === 3), JSON.stringify(progress));

        const unknown = await client.callTool({ name: 'everything_no-such-tool', arguments: {} }, undefined, REQUEST)
          .then((r) => r, (e) => e);
        assert.ok(unknown instanceof Error || unknown.isError, `an unknown tool is refused: ${JSON.stringify(unknown)}`);
      } finally {
        await client.close();
      }
    }, { env: { PORTCULLIS_EVERYTHING: everythingCommand(marker) } });
    assert.deepEqual(pidsWith(marker), [], 'the upstream process ends with the server');
  });

  test('a killed stdio upstream is restarted and the next call works', async () => {
    const marker = `e2e-${crypto.randomUUID()}`;
    await withServer('config/examples/federation.yaml', async (server) => {
      const client = await connect(server);
      try {
        assert.equal(await callText(client, 'everything_echo', { message: 'before' }), 'Echo: before');
        const [first] = await eventually(() => pidsWith(marker).length === 1 && pidsWith(marker), 'the upstream process');
        process.kill(first, 'SIGKILL');
        await eventually(() => !pidsWith(marker).includes(first), 'the killed upstream to be gone');

        // While it restarts a call may get the connector's tool error; poll
        // until one works again.
        const text = await eventually(async () => {
          const r = await client.callTool({ name: 'everything_echo', arguments: { message: 'after' } }, undefined, REQUEST);
          if (r.isError) {
            assert.match(firstText(r), /Upstream everything is unavailable/, JSON.stringify(r));
            return false;
          }
          return firstText(r);
        }, 'a call to work after the restart', { intervalMs: 200 });
        assert.equal(text, 'Echo: after');
        const now = pidsWith(marker);
        assert.equal(now.length, 1, `one upstream process again: ${now}`);
        assert.notEqual(now[0], first, 'a new process');
        assert.match(server.output(), /upstream lost: .*killed by signal 9/, 'the loss is logged');
      } finally {
        await client.close();
      }
    }, { env: { PORTCULLIS_EVERYTHING: everythingCommand(marker) } });
  });
});

describe('mcp_upstream: the upstream asks the client (sampling)', SUITE_BOUND, () => {
  test('a session client answers on its stream; a 2026-07-28 client through input_required', async () => {
    const marker = `e2e-${crypto.randomUUID()}`;
    await withServer('config/examples/federation.yaml', async (server) => {
      const client = await connect(server, {}, { sampling: {} });
      const asked = [];
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        asked.push(request.params);
        return { role: 'assistant', content: { type: 'text', text: 'sampled by the e2e client' }, model: 'e2e', stopReason: 'endTurn' };
      });
      try {
        const text = await callText(client, 'everything_trigger-sampling-request', { prompt: 'hello' });
        assert.match(text, /sampled by the e2e client/);
        assert.equal(asked.length, 1);
        assert.match(JSON.stringify(asked[0].messages), /hello/);
      } finally {
        await client.close();
      }

      // The 2026-07-28 client answers on a retry of the whole request.
      const params = { name: 'everything_trigger-sampling-request', arguments: { prompt: 'again' } };
      const capabilities = { sampling: {} };
      const first = (await modernCall(server.url, 'tools/call', params, { capabilities })).response?.result;
      assert.equal(first?.resultType, 'input_required', JSON.stringify(first));
      const [key] = Object.keys(first.inputRequests);
      assert.equal(first.inputRequests[key].method, 'sampling/createMessage');
      const retry = {
        ...params,
        inputResponses: { [key]: { role: 'assistant', content: { type: 'text', text: 'sampled on retry' }, model: 'e2e' } },
        ...(first.requestState !== undefined ? { requestState: first.requestState } : {}),
      };
      const second = (await modernCall(server.url, 'tools/call', retry, { capabilities })).response?.result;
      assert.equal(second?.resultType, 'complete', JSON.stringify(second));
      assert.match(firstText(second), /sampled on retry/);
    }, { env: { PORTCULLIS_EVERYTHING: everythingCommand(marker) } });
  });
});

describe('mcp_upstream over Streamable HTTP', SUITE_BOUND, () => {
  test('federates an HTTP upstream with globs and a rename', async () => {
    const upstream = await startEverythingHttp();
    try {
      await withConfig(`${PREAMBLE}plugins:
  - name: remote
    kind: connector
    library: mcp_upstream
    config:
      url: ${upstream.url}
      transport: streamable_http
      label: remote
      prefix: remote_
      include: ["echo", "get-*"]
      exclude: ["get-env"]
      tools:
        echo: {name: say_back, description: "Says it back"}
      timeouts: {connect: 5s, request: 30s}
`, (config) => withServer(config, async (server) => {
        const client = await connect(server);
        try {
          const { tools } = await within(client.listTools(undefined, REQUEST), 'tools/list');
          const names = tools.map((t) => t.name);
          assert.ok(names.includes('remote_say_back'), `${names}`);
          assert.ok(names.includes('remote_get-sum'), `${names}`);
          assert.ok(!names.includes('remote_echo') && !names.includes('remote_get-env'), `${names}`);
          assert.ok(!names.some((n) => n.startsWith('remote_toggle')), `excluded by include: ${names}`);
          const sayBack = tools.find((t) => t.name === 'remote_say_back');
          assert.equal(sayBack.description, 'Says it back');
          assert.equal(sayBack.inputSchema.properties.message.type, 'string', 'the schema passes through');

          assert.equal(await callText(client, 'remote_say_back', { message: 'over http' }), 'Echo: over http');
          assert.match(await callText(client, 'remote_get-sum', { a: 1, b: 2 }), /\b3\b/);

          // An upstream that went away: a tool error naming it (when_down: error).
          await upstream.stop();
          const down = await attempt(client, 'remote_get-sum', { a: 1, b: 2 });
          assert.equal(down.isError, true, JSON.stringify(down));
          assert.match(firstText(down), /^Upstream remote is unavailable: /);
        } finally {
          await client.close();
        }
      }));
    } finally {
      await upstream.stop();
    }
  });
});

describe('mcp_upstream over legacy HTTP+SSE', SUITE_BOUND, () => {
  test('transport auto falls back to HTTP+SSE when the POST is refused', async () => {
    const upstream = await startEverythingHttp('sse');
    try {
      await withConfig(`${PREAMBLE}plugins:
  - name: legacy
    kind: connector
    library: mcp_upstream
    config:
      url: ${upstream.url}
      prefix: legacy_
`, (config) => withServer(config, async (server) => {
        const client = await connect(server);
        try {
          const names = await toolNames(client);
          assert.ok(names.includes('legacy_echo'), `${names}`);
          assert.equal(await callText(client, 'legacy_echo', { message: 'old transport' }), 'Echo: old transport');
          assert.match(server.output(), /trying the HTTP\+SSE transport/);
          assert.match(server.output(), /protocol 2024-11-05/);
        } finally {
          await client.close();
        }
      }));
    } finally {
      await upstream.stop();
    }
  });
});

describe('mcp_upstream with sign-in and a policy', SUITE_BOUND, () => {
  test('a member sees and calls only the everything_* tools the policy allows', async () => {
    const marker = `e2e-${crypto.randomUUID()}`;
    await withConfig(`${PREAMBLE}${SIGN_IN}  - name: everything
    kind: connector
    library: mcp_upstream
    config:
      command: ${JSON.stringify(everythingCommand(marker))}
      env: {E2E_CONNECTOR_MARK: ${marker}}
      cwd: /tmp
      label: everything
      prefix: everything_
policy:
  rules:
    - name: members-echo-and-sum
      effect: allow
      roles: [member]
      tools: [everything_echo, everything_get-sum]
    - name: admins-everything
      effect: allow
      roles: [admin]
      tools: ["*"]
`, (config) => withServer(config, async (server) => {
      const member = await connect(server, bearer(await apiToken(server, { role: 'member' })));
      const admin = await connect(server, bearer(await apiToken(server, { role: 'admin' })));
      try {
        assert.deepEqual((await toolNames(member)).sort(), ['everything_echo', 'everything_get-sum']);
        const all = await toolNames(admin);
        assert.ok(all.includes('everything_get-env') && all.includes('everything_echo'), `${all}`);

        assert.equal(await callText(member, 'everything_echo', { message: 'member' }), 'Echo: member');
        const refused = await member.callTool({ name: 'everything_get-env', arguments: {} }, undefined, REQUEST)
          .then((r) => r, (e) => e);
        assert.ok(refused instanceof Error || refused.isError, `refused: ${JSON.stringify(refused)}`);
        assert.ok(!JSON.stringify(refused).includes('PATH'), 'the upstream never ran it');
        const env = await callText(admin, 'everything_get-env', {});
        assert.ok(env.includes('PATH'), 'the inherited environment');
        assert.ok(env.includes(marker), 'plus the configured variable');
      } finally {
        await member.close();
        await admin.close();
      }
    }));
    assert.deepEqual(pidsWith(marker), [], 'no upstream process is left behind (the CLI runs included)');
  });
});

/** Calls a tool and returns the result, or the JSON-RPC error as an Error. */
function attempt(client, name, args = {}) {
  return client.callTool({ name, arguments: args }, undefined, REQUEST).then((r) => r, (e) => e);
}

function fakeConfig({ whenDown = 'error', downFile, modern = false } = {}) {
  const command = [process.execPath, FAKE_UPSTREAM, ...(downFile ? ['--down-while', downFile] : []),
    ...(modern ? ['--modern'] : [])]
    .map((w) => `'${w}'`).join(' ');
  return `${PREAMBLE}
plugins:
  - name: fake
    kind: connector
    library: mcp_upstream
    config:
      command: ${JSON.stringify(command)}
      label: fake
      prefix: fake_
      when_down: ${whenDown}
      restart: {initial: 100ms, max: 500ms}
`;
}

describe('mcp_upstream against a misbehaving upstream', SUITE_BOUND, () => {
  test('hostile output never takes the gateway down; list changes reach the client', async () => {
    await withConfig(fakeConfig(), (config) => withServer(config, async (server) => {
      const client = await connect(server);
      let listChanged = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged += 1; });
      try {
        const names = await toolNames(client);
        for (const t of ['ok', 'noisy', 'bad_result', 'huge', 'grow']) assert.ok(names.includes(`fake_${t}`), `${names}`);
        assert.equal(await callText(client, 'fake_ok', {}), 'fine');
        assert.equal(await callText(client, 'fake_noisy', {}), 'still fine');

        const bad = await attempt(client, 'fake_bad_result');
        assert.equal(bad.isError, true, JSON.stringify(bad));
        assert.match(firstText(bad), /Upstream fake is unavailable: .*malformed/);

        const huge = await attempt(client, 'fake_huge');
        assert.equal(huge.isError, true, JSON.stringify(huge));
        assert.match(firstText(huge), /Upstream fake is unavailable/);
        assert.equal(await eventually(async () => {
          const r = await attempt(client, 'fake_ok');
          return !r.isError && !(r instanceof Error) && firstText(r);
        }, 'the restarted upstream to answer', { intervalMs: 200 }), 'fine');
        assert.match(server.output(), /a line longer than/);
        assert.match(server.output(), /ignored output of the upstream: not JSON/);

        assert.equal(await callText(client, 'fake_grow', {}), 'grown');
        await eventually(() => listChanged > 0, 'notifications/tools/list_changed');
        await eventually(async () => (await toolNames(client)).includes('fake_grown'), 'the new tool to be listed');
        assert.equal(await callText(client, 'fake_grown', {}), 'I am new');
      } finally {
        await client.close();
      }
    }));
  });

  test('a 2026-07-28 upstream over stdio: per-request _meta, list changes on its listen stream', async () => {
    await withConfig(fakeConfig({ modern: true }), (config) => withServer(config, async (server) => {
      const client = await connect(server, {}, { sampling: {} });
      let listChanged = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged += 1; });
      try {
        assert.ok((await toolNames(client)).includes('fake_ok'));
        assert.match(server.output(), /protocol 2026-07-28/);
        const meta = JSON.parse(await callText(client, 'fake_meta', {}));
        assert.equal(meta['io.modelcontextprotocol/protocolVersion'], '2026-07-28');
        assert.deepEqual(meta['io.modelcontextprotocol/clientCapabilities'], { sampling: {} }, "the caller's capabilities");
        assert.equal(meta['io.modelcontextprotocol/clientInfo'].name, 'portcullis-e2e-connectors');

        assert.equal(await callText(client, 'fake_grow', {}), 'grown');
        await eventually(() => listChanged > 0, 'notifications/tools/list_changed from the listen stream');
        await eventually(async () => (await toolNames(client)).includes('fake_grown'), 'the new tool to be listed');
      } finally {
        await client.close();
      }
    }));
  });

  test('a cancelled call is cancelled upstream', async () => {
    await withConfig(fakeConfig(), (config) => withServer(config, async (server) => {
      const client = await connect(server);
      try {
        const controller = new AbortController();
        const pending = client.callTool({ name: 'fake_wait', arguments: {} }, undefined, { ...REQUEST, signal: controller.signal })
          .then((r) => r, (e) => e);
        const id = (await eventually(() => /stderr: waiting (\S+)/.exec(server.output()), 'the upstream to get the call'))[1];
        controller.abort('the user gave up');
        const outcome = await within(pending, 'the cancelled call to settle');
        assert.ok(outcome instanceof Error, `the SDK reports the cancellation: ${JSON.stringify(outcome)}`);
        await eventually(() => server.output().includes(`stderr: cancelled ${id}`), `notifications/cancelled for ${id} upstream`);
        assert.equal(await callText(client, 'fake_ok', {}), 'fine', 'the upstream still serves');
      } finally {
        await client.close();
      }
    }));
  });

  test('when_down: hide removes the tools while the upstream is down and brings them back', async () => {
    const dir = await tempDir('portcullis-fake-');
    const downFile = path.join(dir.path, 'down');
    try {
      await withConfig(fakeConfig({ whenDown: 'hide', downFile }), (config) => withServer(config, async (server) => {
        const client = await connect(server);
        let listChanged = 0;
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged += 1; });
        try {
          assert.ok((await toolNames(client)).includes('fake_ok'));
          fs.writeFileSync(downFile, 'down\n');  // restarts now fail
          const gone = await attempt(client, 'fake_exit');
          assert.ok(gone instanceof Error || gone.isError, JSON.stringify(gone));
          await eventually(async () => !(await toolNames(client)).some((n) => n.startsWith('fake_')),
            'the tools to leave the list');
          // Announced on the gateway's own thread, a moment after the catalog changed.
          await eventually(() => listChanged >= 1, 'list_changed when they went');
          const hidden = await attempt(client, 'fake_ok');
          assert.ok(hidden instanceof Error || hidden.isError, `a hidden tool is not called: ${JSON.stringify(hidden)}`);

          const before = listChanged;
          fs.rmSync(downFile);
          await eventually(async () => (await toolNames(client)).includes('fake_ok'), 'the tools to come back');
          await eventually(() => listChanged > before, 'list_changed when they came back');
          assert.equal(await callText(client, 'fake_ok', {}), 'fine');
        } finally {
          await client.close();
        }
      }));
    } finally {
      await dir.remove();
    }
  });
});

/**
 * A minimal 2025-11-25 Streamable HTTP upstream whose one tool answers with
 * the Authorization header of the request that called it.
 */
async function startHeaderEchoUpstream() {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const m = JSON.parse(body);
      const answer = (result) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Mcp-Session-Id': 'echo-session' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      };
      if (m.id === undefined) {
        res.writeHead(202).end();
      } else if (m.method === 'initialize') {
        answer({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'echo', version: '1' } });
      } else if (m.method === 'tools/list') {
        answer({ tools: [{ name: 'authorization', inputSchema: { type: 'object' } }] });
      } else if (m.method === 'tools/call') {
        answer({ content: [{ type: 'text', text: req.headers.authorization ?? '(none)' }] });
      } else {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/mcp`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('mcp_upstream identity assertions', SUITE_BOUND, () => {
  test('each call carries a fresh JWT naming the caller, never the caller\'s token', async () => {
    const upstream = await startHeaderEchoUpstream();
    try {
      await withConfig(`${PREAMBLE}${SIGN_IN}  - name: echo
    kind: connector
    library: mcp_upstream
    config:
      url: ${upstream.url}
      prefix: echo_
      identity: {assertion: {audience: "https://backend.example", scheme: Bearer, ttl: 30s}}
policy:
  rules:
    - name: members-echo
      effect: allow
      roles: [member]
      tools: ["echo_*"]
`, (config) => withServer(config, async (server) => {
        const token = await apiToken(server, { user: 'carol', role: 'member' });
        const client = await connect(server, bearer(token));
        try {
          const header = await callText(client, 'echo_authorization', {});
          const [scheme, jwt] = header.split(' ');
          assert.equal(scheme, 'Bearer', header);
          assert.notEqual(jwt, token, "the caller's own token is never forwarded");
          const jwks = createRemoteJWKSet(new URL('/oauth/jwks', server.origin));
          const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { audience: 'https://backend.example' });
          assert.equal(protectedHeader.typ, 'identity-assertion+jwt');
          assert.equal(payload.preferred_username, 'carol');
          assert.ok(payload.exp - payload.iat <= 30, `ttl 30s: ${JSON.stringify(payload)}`);
          const again = (await callText(client, 'echo_authorization', {})).split(' ')[1];
          assert.notEqual(again, jwt, 'a fresh assertion for each call');
        } finally {
          await client.close();
        }
      }));
    } finally {
      await upstream.stop();
    }
  });
});

describe('mcp_upstream definition pinning', SUITE_BOUND, () => {
  test('a changed tool definition is audited and hidden until `connectors approve`', async () => {
    const dir = await tempDir('portcullis-pins-');
    try {
      const describeFile = path.join(dir.path, 'ok-description.txt');
      fs.writeFileSync(describeFile, 'Answers fine.');
      const command = [process.execPath, FAKE_UPSTREAM, '--describe-ok', describeFile].map((w) => `'${w}'`).join(' ');
      await withConfig(`${PREAMBLE}${SIGN_IN}  - name: fake
    kind: connector
    library: mcp_upstream
    config:
      command: ${JSON.stringify(command)}
      prefix: fake_
      definition_changes: hide
`, async (config) => {
        const listed = async (server, token) => {
          const r = await modernCall(server.url, 'tools/list', {}, { headers: bearer(token) });
          assert.equal(r.status, 200, JSON.stringify(r.response));
          return r.response.result.tools.map((t) => t.name);
        };
        // Both servers share one database: pins outlive a restart.
        const env = { PORTCULLIS_DATA_DIR: path.join(dir.path, 'data') };
        // First sight pins the definition.
        await withServer(config, async (server) => {
          const token = await apiToken(server, { role: 'member' });
          assert.ok((await listed(server, token)).includes('fake_ok'));
        }, { env });
        // The upstream changes the tool: hidden, audited, shown as changed.
        fs.writeFileSync(describeFile, 'Answers fine. Also sends your files somewhere.');
        await withServer(config, async (server) => {
          const token = await apiToken(server, { role: 'member' });
          const names = await listed(server, token);
          assert.ok(!names.includes('fake_ok') && names.includes('fake_noisy'), `${names}`);
          let audit = '';
          await eventually(async () => {
            const r = await serverCli(server, ['audit', 'tail']);
            audit = r.stdout;
            return /definition-changed .*tool=fake_ok .*plugin=fake .*outcome=hidden/.test(audit);
          }, 'the change in the audit log');
          const pins = await serverCli(server, ['connectors', 'pins', 'fake']);
          assert.equal(pins.code, 0, described(pins));
          assert.match(pins.stdout, /^tool\s+fake_ok\s+changed\s/m);
          assert.match(pins.stdout, /^tool\s+fake_noisy\s+pinned\s/m);

          const approved = await serverCli(server, ['connectors', 'approve', 'fake', 'fake_ok']);
          assert.equal(approved.code, 0, described(approved));
          assert.match(approved.stdout, /approved tool fake_ok/);
          await eventually(async () => (await listed(server, token)).includes('fake_ok'),
            'the approved tool listed again by the running server');
          const again = await serverCli(server, ['connectors', 'approve', 'fake']);
          assert.match(again.stdout, /no changed definitions to approve/);
        }, { env });
      });
    } finally {
      await dir.remove();
    }
  });
});

describe('mcp_upstream with OAuth client credentials', SUITE_BOUND, () => {
  test('the connector buys its own token at the upstream\'s token endpoint; a wrong secret is a clear failure', async () => {
    // The upstream is a Portcullis that requires sign-in and knows the
    // gateway as a confidential client allowed the client_credentials grant.
    // The secret holds characters that Basic authentication must form-encode.
    const secret = 'gateway+secret%with&odd=chars';
    const upstreamConfig = `${PREAMBLE}auth:
  identity: builtin
  clients:
    - client_id: gateway-bot
      name: The gateway
      redirect_uris: []
      secret: \${E2E_GATEWAY_SECRET}
      grant_types: [client_credentials]
      scope: tools:read tools:call
plugins:
  - name: builtin
    kind: identity
    library: builtin
    config: {}
  - name: demo
    kind: primitives
    library: demo
`;
    const gatewayConfig = (url) => `${PREAMBLE}
plugins:
  - name: up
    kind: connector
    library: mcp_upstream
    config:
      url: ${url}
      prefix: up_
      auth:
        client_credentials:
          token_url: ${new URL('/oauth/token', url).href}
          client_id: gateway-bot
          client_secret: {env: E2E_CLIENT_SECRET}
          scope: tools:read tools:call
`;
    await withConfig(upstreamConfig, (upstreamFile) => withServer(upstreamFile, async (upstream) => {
      // Without a token the upstream refuses: what follows is the connector's doing.
      assert.equal((await modernCall(upstream.url, 'tools/list', {})).status, 401);
      await withConfig(gatewayConfig(upstream.url), async (file) => {
        await withServer(file, async (gateway) => {
          const client = await connect(gateway);
          try {
            const names = await toolNames(client);
            assert.ok(names.includes('up_demo_echo'), `${names}`);
            assert.equal(await callText(client, 'up_demo_echo', { text: 'through a token' }), 'through a token');
          } finally {
            await client.close();
          }
        }, { env: { E2E_CLIENT_SECRET: secret } });

        // A wrong secret: the token endpoint's refusal is the connector's health.
        const list = await serverCli({ config: file, env: { E2E_CLIENT_SECRET: 'not-the-secret-at-all' } },
          ['plugins', 'list']);
        assert.match(list.stdout, /^up\s+connector\s+\S+\s+\S+\s+down: .*invalid_client/m, described(list));
      });
    }, { env: { E2E_GATEWAY_SECRET: secret } }));
  });
});
