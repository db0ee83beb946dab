// A 2026-07-28 client written with plain fetch (the TypeScript SDK speaks
// only the session-based revisions): server/discover, per-request _meta and
// the Mcp-Method/Mcp-Name headers, multi round-trip input_required results,
// the bridge between the two protocol generations, and subscriptions/listen.
// On the default configuration (sign-in required) each request carries an
// API token made with the CLI; config/examples/open.yaml needs none.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  withServer, within, modernCall, modernRequest, sseMessages, firstText, MODERN, META, SUITE_BOUND, boundedFetch,
  assertChallenge,
} from './support/mcp.mjs';

const DEFAULT = 'config/portcullis.yaml';
const OPEN = 'config/examples/open.yaml';
// The configurations that require sign-in; tests against them send an API token.
const SIGNED_IN = new Set([DEFAULT]);

function assertModernResult(call, what) {
  assert.equal(call.status, 200, `${what}: HTTP ${call.status} ${JSON.stringify(call.response)}`);
  assert.ok(call.response?.result, `${what}: a result, got ${JSON.stringify(call.response)}`);
  assert.equal(call.response.id, call.id);
  assert.equal(call.headers.get('mcp-session-id'), null, `${what}: 2026-07-28 is stateless, no session`);
  assert.equal(call.response.result._meta?.[META.serverInfo]?.name, 'portcullis', `${what}: serverInfo in _meta`);
  return call.response.result;
}

for (const config of [DEFAULT, OPEN]) {
  const signIn = SIGNED_IN.has(config);
  const serve = (fn) => withServer(config, fn, { signIn });
  describe(`2026-07-28 client, ${config}`, SUITE_BOUND, () => {
    test(signIn ? 'without a token a request is answered 401 with the challenge' : 'no token is needed', async () => {
      await withServer(config, async (server) => {
        assert.deepEqual(server.headers, {});
        for (const [method, params] of [['server/discover', {}], ['tools/list', {}],
          ['tools/call', { name: 'demo_echo', arguments: { text: 'x' } }]]) {
          const { headers, body } = modernRequest(method, params);
          const res = await within(boundedFetch(server.url, { method: 'POST', headers, body: JSON.stringify(body) }), method);
          if (signIn) {
            await assertChallenge(res, server);
          } else {
            assert.equal(res.status, 200, `${method}: ${await res.clone().text()}`);
            assert.equal(res.headers.get('www-authenticate'), null);
            const reply = await res.json();
            assert.ok(reply.result, `${method}: ${JSON.stringify(reply)}`);
          }
        }
      });
    });

    test('server/discover names the version, the capabilities and the server', async () => {
      await serve(async (server) => {
        const call = await modernCall(server.url, 'server/discover', {}, { headers: server.headers });
        const result = assertModernResult(call, 'server/discover');
        assert.ok(result.supportedVersions.includes(MODERN), JSON.stringify(result));
        assert.equal(result.resultType, 'complete');
        assert.equal(result.capabilities.tools?.listChanged, true);
        assert.ok(result.capabilities.resources, 'resources capability');
        assert.ok(result.capabilities.prompts, 'prompts capability');
        assert.ok(result.capabilities.completions, 'completions capability');
        assert.equal(result.capabilities.logging, undefined, 'logging/setLevel is gone in 2026-07-28');
      });
    });

    test('tools/list and tools/call demo_echo with _meta and Mcp-Method/Mcp-Name headers', async () => {
      await serve(async (server) => {
        const { headers } = server;
        const list = await modernCall(server.url, 'tools/list', {}, { headers });
        const listed = assertModernResult(list, 'tools/list');
        const names = listed.tools.map((t) => t.name);
        for (const name of ['demo_echo', 'demo_get_time', 'demo_get_help', 'whoami']) {
          assert.ok(names.includes(name), `tools/list has ${name}: ${names}`);
        }
        assert.equal(listed.resultType, 'complete');
        assert.equal(typeof listed.ttlMs, 'number', 'a cache hint on the list result');
        assert.ok(listed.ttlMs > 0);
        assert.ok(['public', 'private'].includes(listed.cacheScope), `cacheScope: ${listed.cacheScope}`);

        const text = 'modern echo — ünïcødé "quoted"\nline two';
        const call = await modernCall(server.url, 'tools/call', { name: 'demo_echo', arguments: { text } }, { headers });
        const result = assertModernResult(call, 'tools/call demo_echo');
        assert.equal(result.resultType, 'complete');
        assert.ok(!result.isError, JSON.stringify(result));
        assert.deepEqual(result.content, [{ type: 'text', text }]);
        assert.equal(result.ttlMs, undefined, 'a tool result carries no cache hint');

        // whoami sees the version and clientInfo from this request's _meta.
        const who = assertModernResult(await modernCall(server.url, 'tools/call', { name: 'whoami', arguments: {} }, { headers }), 'whoami');
        const identity = who.structuredContent ?? JSON.parse(firstText(who));
        assert.equal(identity.protocolVersion, MODERN);
        assert.equal(identity.clientInfo?.name, 'portcullis-e2e-modern');
        if (signIn) {
          // Stateless, yet each request is the token's user.
          assert.equal(identity.authenticated, true, JSON.stringify(identity));
          assert.match(identity.username ?? '', /^e2e-user-\d+$/, JSON.stringify(identity));
        } else {
          assert.notEqual(identity.authenticated, true, JSON.stringify(identity));
        }

        // Mcp-Name may be base64-encoded.
        const encoded = await modernCall(server.url, 'tools/call', { name: 'demo_echo', arguments: { text: 'b64' } },
          { name: `=?base64?${Buffer.from('demo_echo').toString('base64')}?=`, headers });
        assert.equal(firstText(assertModernResult(encoded, 'tools/call with an encoded Mcp-Name')), 'b64');
      });
    });

    test('requests whose headers do not match the body are refused', async () => {
      await serve(async (server) => {
        const send = async (method, params, headers) => {
          const { headers: h, body } = modernRequest(method, params);
          const res = await within(boundedFetch(server.url, { method: 'POST', headers: { ...h, ...server.headers, ...headers }, body: JSON.stringify(body) }), method);
          return { status: res.status, body: await res.json() };
        };
        const echo = { name: 'demo_echo', arguments: { text: 'x' } };

        let r = await send('tools/call', echo, { 'Mcp-Name': 'demo_get_time' });
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /Mcp-Name/);

        const { headers: withoutName, body } = modernRequest('tools/call', echo);
        delete withoutName['Mcp-Name'];
        const res = await boundedFetch(server.url, { method: 'POST', headers: { ...withoutName, ...server.headers }, body: JSON.stringify(body) });
        assert.equal(res.status, 400);
        assert.match((await res.json()).error.message, /missing Mcp-Name/);

        r = await send('tools/call', echo, { 'Mcp-Method': 'tools/list' });
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /Mcp-Method/);

        r = await send('tools/list', {}, { 'MCP-Protocol-Version': '2025-11-25' });
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /MCP-Protocol-Version/);

        // A version the server does not speak, consistently in header and _meta.
        const { headers: h2, body: b2 } = modernRequest('tools/list', { _meta: { [META.version]: '2099-01-01' } });
        const unsupported = await boundedFetch(server.url, { method: 'POST', headers: { ...h2, ...server.headers, 'MCP-Protocol-Version': '2099-01-01' }, body: JSON.stringify(b2) });
        assert.equal(unsupported.status, 400);
        const err = (await unsupported.json()).error;
        assert.ok(err.data?.supported?.includes(MODERN), JSON.stringify(err));
      });
    });
  });
}

describe('2026-07-28 client, multi round-trip requests (config/examples/open.yaml)', SUITE_BOUND, () => {
  test('input_required round trip with test_input_required_result_elicitation', async () => {
    await withServer(OPEN, async (server) => {
      const capabilities = { elicitation: {} };
      const params = { name: 'test_input_required_result_elicitation', arguments: {} };
      const first = assertModernResult(await modernCall(server.url, 'tools/call', params, { capabilities }), 'first round');
      assert.equal(first.resultType, 'input_required', JSON.stringify(first));
      const question = first.inputRequests?.user_name;
      assert.ok(question, `inputRequests.user_name in ${JSON.stringify(first)}`);
      assert.equal(question.method, 'elicitation/create');
      assert.equal(question.params.message, 'What is your name?');
      assert.equal(question.params.requestedSchema.properties.name.type, 'string');
      assert.equal(first.content, undefined, 'an interim result has no content');

      const retry = {
        ...params,
        inputResponses: { user_name: { action: 'accept', content: { name: 'Ada' } } },
        ...(first.requestState !== undefined ? { requestState: first.requestState } : {}),
      };
      const second = assertModernResult(await modernCall(server.url, 'tools/call', retry, { capabilities }), 'second round');
      assert.equal(second.resultType, 'complete', JSON.stringify(second));
      assert.deepEqual(second.content, [{ type: 'text', text: 'Hello, Ada!' }]);
    });
  });

  test('a tool that asks the client mid-call is turned into input_required for a 2026-07-28 client', async () => {
    await withServer(OPEN, async (server) => {
      const capabilities = { elicitation: {} };
      const params = { name: 'test_elicitation', arguments: { message: 'Who are you?' } };
      const first = assertModernResult(await modernCall(server.url, 'tools/call', params, { capabilities }), 'first round');
      assert.equal(first.resultType, 'input_required', JSON.stringify(first));
      const keys = Object.keys(first.inputRequests ?? {});
      assert.equal(keys.length, 1, JSON.stringify(first));
      const question = first.inputRequests[keys[0]];
      assert.equal(question.method, 'elicitation/create');
      assert.equal(question.params.message, 'Who are you?');
      assert.equal(typeof first.requestState, 'string');

      const retry = {
        ...params,
        inputResponses: { [keys[0]]: { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } } },
        requestState: first.requestState,
      };
      const second = assertModernResult(await modernCall(server.url, 'tools/call', retry, { capabilities }), 'second round');
      const m = /^User response: action=accept, content=(.*)$/s.exec(firstText(second));
      assert.ok(m, firstText(second));
      assert.deepEqual(JSON.parse(m[1]), { username: 'ada', email: 'ada@example.com' });

      // The sealed requestState is bound to its tool.
      const misused = await modernCall(server.url, 'tools/call',
        { name: 'test_sampling', arguments: { prompt: 'x' }, inputResponses: retry.inputResponses, requestState: first.requestState },
        { capabilities: { sampling: {} } });
      assert.ok(misused.response.error, `a requestState for another tool is refused: ${JSON.stringify(misused.response)}`);
    });
  });

  test('a 2025-11-25 SDK client calling the same tool gets elicitation/create over its stream', async () => {
    await withServer(OPEN, async (server) => {
      const asked = [];
      const client = new Client({ name: 'portcullis-e2e-sdk', version: '1.0.0' }, { capabilities: { elicitation: {} } });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params);
        return { action: 'accept', content: { name: 'Ada' } };
      });
      await within(client.connect(new StreamableHTTPClientTransport(new URL(server.url))), 'the SDK client to connect');
      try {
        const result = await within(client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }, undefined, { timeout: 30_000 }), 'the bridged call');
        assert.ok(!result.isError, JSON.stringify(result));
        assert.deepEqual(result.content, [{ type: 'text', text: 'Hello, Ada!' }]);
        assert.equal(result.resultType, undefined, 'no 2026-07-28 fields leak to a 2025-11-25 client');
        assert.equal(result.inputRequests, undefined);
        assert.equal(asked.length, 1);
        assert.equal(asked[0].message, 'What is your name?');
        assert.equal(asked[0].requestedSchema.properties.name.type, 'string');
      } finally {
        await client.close();
      }
    });
  });

  test('a multi-round input_required tool takes two retries for a 2026-07-28 client and is bridged for a 2025-11-25 one', async () => {
    await withServer(OPEN, async (server) => {
      const capabilities = { elicitation: {} };
      const params = { name: 'test_input_required_result_multi_round', arguments: {} };
      const round1 = assertModernResult(await modernCall(server.url, 'tools/call', params, { capabilities }), 'round 1');
      assert.equal(round1.resultType, 'input_required');
      assert.deepEqual(Object.keys(round1.inputRequests), ['step1']);
      const round2 = assertModernResult(await modernCall(server.url, 'tools/call', {
        ...params, requestState: round1.requestState,
        inputResponses: { step1: { action: 'accept', content: { name: 'Ada' } } },
      }, { capabilities }), 'round 2');
      assert.equal(round2.resultType, 'input_required', JSON.stringify(round2));
      assert.deepEqual(Object.keys(round2.inputRequests), ['step2']);
      assert.notEqual(round2.requestState, round1.requestState);
      const done = assertModernResult(await modernCall(server.url, 'tools/call', {
        ...params, requestState: round2.requestState,
        inputResponses: { step2: { action: 'accept', content: { color: 'blue' } } },
      }, { capabilities }), 'round 3');
      assert.deepEqual(done.content, [{ type: 'text', text: 'Multi-round complete for Ada who likes blue' }]);

      const asked = [];
      const client = new Client({ name: 'portcullis-e2e-sdk', version: '1.0.0' }, { capabilities: { elicitation: {} } });
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: asked.length === 1 ? { name: 'Grace' } : { color: 'green' } };
      });
      await within(client.connect(new StreamableHTTPClientTransport(new URL(server.url))), 'the SDK client to connect');
      try {
        const result = await within(client.callTool(params, undefined, { timeout: 30_000 }), 'the bridged multi-round call');
        assert.deepEqual(result.content, [{ type: 'text', text: 'Multi-round complete for Grace who likes green' }]);
        assert.deepEqual(asked, ['Step 1: What is your name?', 'Step 2: What is your favorite color?']);
      } finally {
        await client.close();
      }
    });
  });

  test('a 2025-11-25 client without the elicitation capability gets an error, not a hang', async () => {
    await withServer(OPEN, async (server) => {
      const client = new Client({ name: 'portcullis-e2e-sdk', version: '1.0.0' }, { capabilities: {} });
      await within(client.connect(new StreamableHTTPClientTransport(new URL(server.url))), 'the SDK client to connect');
      try {
        const outcome = await within(
          client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }, undefined, { timeout: 30_000 })
            .then((r) => ({ result: r }), (e) => ({ error: e })),
          'the call to finish');
        assert.ok(outcome.error || outcome.result?.isError, `an error: ${JSON.stringify(outcome.result)}`);
      } finally {
        await client.close();
      }
    });
  });
});

describe('2026-07-28 client, subscriptions/listen (config/examples/open.yaml)', SUITE_BOUND, () => {
  /** Opens a listen stream and returns an iterator over its messages. */
  async function listen(url, notifications, controller) {
    const { headers, body } = modernRequest('subscriptions/listen', { notifications });
    const res = await within(fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal }), 'subscriptions/listen');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    return { id: body.id, messages: sseMessages(res.body)[Symbol.asyncIterator]() };
  }

  async function next(messages, what) {
    const { value, done } = await within(messages.next(), what);
    assert.ok(!done, `the listen stream ended before ${what}`);
    return value;
  }

  test('delivers notifications/tools/list_changed after test_trigger_tool_change', async () => {
    await withServer(OPEN, async (server) => {
      const controller = new AbortController();
      try {
        const tools = await listen(server.url, { toolsListChanged: true }, controller);
        const prompts = await listen(server.url, { promptsListChanged: true }, controller);

        for (const [stream, flag] of [[tools, 'toolsListChanged'], [prompts, 'promptsListChanged']]) {
          const ack = await next(stream.messages, 'the acknowledgement');
          assert.equal(ack.method, 'notifications/subscriptions/acknowledged', JSON.stringify(ack));
          assert.equal(ack.params.notifications[flag], true);
          assert.equal(ack.params._meta[META.subscriptionId], stream.id);
        }

        const trigger = await modernCall(server.url, 'tools/call', { name: 'test_trigger_tool_change', arguments: {} });
        assert.equal(firstText(assertModernResult(trigger, 'test_trigger_tool_change')), 'Mutation triggered');

        const changed = await next(tools.messages, 'notifications/tools/list_changed');
        assert.equal(changed.method, 'notifications/tools/list_changed', JSON.stringify(changed));
        assert.equal(changed.params._meta[META.subscriptionId], tools.id);
        assert.equal('id' in changed, false, 'a notification has no id');

        // The prompts listener did not ask for tool changes: the first thing
        // it hears is the prompt change that follows.
        await modernCall(server.url, 'tools/call', { name: 'test_trigger_prompt_change', arguments: {} });
        const promptChange = await next(prompts.messages, 'notifications/prompts/list_changed');
        assert.equal(promptChange.method, 'notifications/prompts/list_changed', JSON.stringify(promptChange));
        assert.equal(promptChange.params._meta[META.subscriptionId], prompts.id);

        // And the tool listener keeps listening.
        await modernCall(server.url, 'tools/call', { name: 'test_trigger_tool_change', arguments: {} });
        const again = await next(tools.messages, 'a second notifications/tools/list_changed');
        assert.equal(again.method, 'notifications/tools/list_changed');

        // The tool list is still served after the change.
        const list = assertModernResult(await modernCall(server.url, 'tools/list'), 'tools/list after the change');
        assert.ok(list.tools.some((t) => t.name === 'test_trigger_tool_change'));
      } finally {
        controller.abort();
      }
    });
  });
});
