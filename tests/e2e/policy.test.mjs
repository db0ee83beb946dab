// The authorization policy end to end: who sees and uses which tool on one
// URL, against a real server process with a policy (roles, a policy scope,
// globs, a deny rule, a plugin's admin-only mark) and the counter fixture
// plugin (tests/fixtures/counter_plugin), whose own call counts prove that a
// refused call never reached it.
//
//   - config/examples/team.yaml with API tokens: admin and member lists;
//   - Alice (admin) and Bob (member) signed in through the real OAuth flow
//     (sign-in and consent pages): different tools/list on the same URL, and
//     Bob's direct calls of admin tools refused without running;
//   - step-up: the official TypeScript SDK client holding only tools:read
//     gets 403 insufficient_scope naming what it lacks, authorizes again
//     with the challenge's scopes (through the pages), and the call works;
//   - `portcullis users set-role` sends notifications/tools/list_changed to
//     the user's open session, and the next tools/list follows the new role;
//   - `portcullis policy explain` agrees with the server for every user and
//     tool of the test policy, with full and with narrow tokens;
//   - hostile input: bad policies refused by `policy check`, `config check`
//     and `serve` (exit 78, FILE:LINE), bad set-role and explain arguments.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  BIN, withServer, within, eventually, modernCall, firstText, serverCli, runCli, spawnServe, addUser, createToken,
  bearer, parseChallenge, described, freePort, SUITE_BOUND, WAIT_MS,
} from './support/mcp.mjs';
import { Browser, signInAndConsent } from './support/browser.mjs';
import { tempDir, registerPublicClient, obtainTokens, ALL_SCOPES } from './support/oauth.mjs';

const TEAM = 'config/examples/team.yaml';
const EX_FAILURE = 1;
const EX_USAGE = 64;
const EX_CONFIG = 78;
const REQUEST = { timeout: WAIT_MS };
const PASSWORD = 'correct horse battery staple';

const BUILD_DIR = process.env.PORTCULLIS_BUILD_DIR ?? path.dirname(BIN);
const COUNTER_PLUGIN = path.join(BUILD_DIR, 'tests/fixtures/counter_plugin/counter.so');
const ADMIN_SCOPE = 'counter:admin';

// The test policy: a custom role and scope, exact names and globs, a plugin
// selector, a user deny rule, and a rule the plugin's admin-only mark
// overrides (support's counter_* does not reach counter_purge).
const POLICY = {
  roles: [{ name: 'support', description: 'Helps users; reads the counters' }],
  scopes: [{ name: ADMIN_SCOPE, description: "Use the counter's administration tools" }],
  rules: [
    { name: 'everyone-basics', effect: 'allow', roles: ['member', 'support', 'admin'], tools: ['demo_echo', 'demo_get_time', 'whoami', 'counter_bump'] },
    { name: 'admins-demo-and-reports', effect: 'allow', roles: ['admin'], tools: ['demo_*', 'counter_stats', 'counter_report'] },
    { name: 'purge-needs-admin-scope', effect: 'allow', roles: ['admin'], scopes: [ADMIN_SCOPE], tools: ['counter_purge'] },
    { name: 'support-counters', effect: 'allow', roles: ['support'], plugins: ['counter'], tools: ['counter_*'] },
    { name: 'no-echo-for-mallory', effect: 'deny', users: ['mallory'], tools: ['demo_echo'] },
  ],
};

const USERS = { alice: 'admin', bob: 'member', carol: 'support', mallory: 'member' };
// What each user's tools/list holds with a token of every scope.
const EXPECTED = {
  alice: ['counter_bump', 'counter_purge', 'counter_report', 'counter_stats', 'demo_echo', 'demo_get_help', 'demo_get_time', 'whoami'],
  bob: ['counter_bump', 'demo_echo', 'demo_get_time', 'whoami'],
  carol: ['counter_bump', 'counter_report', 'counter_stats', 'demo_echo', 'demo_get_time', 'whoami'],
  mallory: ['counter_bump', 'demo_get_time', 'whoami'],
};
const ALL_TOOLS = EXPECTED.alice;
const ARGUMENTS = { demo_echo: { text: 'policy' } };

/** A configuration with sign-in, the demo and counter plugins and `policy`, written to `dir`. */
async function writeConfig(dir, { policy = POLICY } = {}) {
  await fs.access(COUNTER_PLUGIN).catch(() => {
    throw new Error(`${COUNTER_PLUGIN} is missing: build the tests (PORTCULLIS_BUILD_TESTS=ON) or set PORTCULLIS_BUILD_DIR`);
  });
  const countsFile = path.join(dir, 'counts.json');
  const config = {
    server: { listen: '127.0.0.1:0', mcp_path: '/mcp' },
    data_dir: './var/unused-e2e',
    logging: { level: 'warning' },
    auth: { identity: 'builtin' },
    plugins: [
      { name: 'builtin', kind: 'identity', library: 'builtin', config: {} },
      { name: 'demo', kind: 'primitives', library: 'demo', config: {} },
      { name: 'counter', kind: 'primitives', library: COUNTER_PLUGIN, config: { counts_file: countsFile } },
    ],
    ...(policy ? { policy } : {}),
  };
  const file = path.join(dir, 'portcullis.yaml');
  await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return { file, countsFile };
}

/**
 * A server on the test policy with USERS (passwords for the OAuth tests);
 * `fn(server, counts)` where counts() reads the plugin's own counts.
 */
async function withPolicyServer(fn) {
  const dir = await tempDir('portcullis-policy-');
  try {
    const { file, countsFile } = await writeConfig(dir.path);
    return await withServer(file, async (server) => {
      for (const [name, role] of Object.entries(USERS)) await addUser(server, name, { role, password: PASSWORD });
      const counts = async () => JSON.parse(await fs.readFile(countsFile, 'utf8'));
      return fn({ ...server, base: server.origin, resource: server.url, dir: dir.path }, counts);
    });
  } finally {
    await dir.remove();
  }
}

/** The sorted tool names of a 2026-07-28 tools/list with `token`. */
async function toolNames(server, token) {
  const r = await modernCall(server.url, 'tools/list', {}, { headers: bearer(token) });
  assert.equal(r.status, 200, `tools/list: ${r.status} ${JSON.stringify(r.response)}`);
  assert.ok(r.response?.result, `a tools/list result: ${JSON.stringify(r.response)}`);
  return r.response.result.tools.map((t) => t.name).sort();
}

/** A 2026-07-28 tools/call with `token`: {status, challenge, result, error}. */
async function callTool(server, token, name) {
  const r = await modernCall(server.url, 'tools/call', { name, arguments: ARGUMENTS[name] ?? {} }, { headers: bearer(token) });
  return {
    status: r.status,
    challenge: parseChallenge(r.headers.get('www-authenticate')),
    result: r.response?.result,
    error: r.response?.error,
  };
}

/** What the server did with a call: allow, deny (hidden like an unknown tool) or step-up (403). */
function outcome(name, r) {
  if (r.status === 403) {
    assert.equal(r.challenge?.error, 'insufficient_scope', JSON.stringify(r));
    return 'step-up';
  }
  assert.equal(r.status, 200, `tools/call ${name}: ${JSON.stringify(r)}`);
  if (r.error) {
    assert.equal(r.error.message, `Unknown tool: ${name}`, `a refused tool is answered like an unknown one: ${JSON.stringify(r.error)}`);
    return 'deny';
  }
  assert.ok(r.result && !r.result.isError, `tools/call ${name} ran: ${JSON.stringify(r.result)}`);
  return 'allow';
}

/** `portcullis policy explain` parsed: decision (allow, deny, step-up), needs, rule, listed, code. */
async function explain(server, args) {
  const r = await serverCli(server, ['policy', 'explain', ...args]);
  assert.ok(r.code === 0 || r.code === EX_FAILURE, `policy explain ${args.join(' ')}: ${described(r)}`);
  const [first, ...rest] = r.stdout.trimEnd().split('\n');
  const fields = Object.fromEntries(rest.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
  const decision = first.startsWith('step-up: needs ') ? 'step-up' : first;
  assert.ok(['allow', 'deny', 'step-up'].includes(decision), `the first line is the decision: ${r.stdout}`);
  assert.equal(r.code, decision === 'allow' ? 0 : EX_FAILURE, `exit status of ${decision}: ${described(r)}`);
  return {
    decision, needs: decision === 'step-up' ? first.slice('step-up: needs '.length).split(' ') : [], rule: fields.rule, listed: fields.listed, stdout: r.stdout,
  };
}

/** A person signs in as `username` and consents; returns the authorization code. */
async function consent(authorizationUrl, username, redirectUri, browser) {
  const { callback } = await signInAndConsent(browser, authorizationUrl, { username, password: PASSWORD, redirectUri });
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code in ${callback.href}`);
  return code;
}

describe('authorization policy: config/examples/team.yaml', SUITE_BOUND, () => {
  test('API tokens of an admin and a member list exactly the sample policy\'s tools', async () => {
    const check = await runCli(['policy', 'check', TEAM]);
    assert.equal(check.code, 0, described(check));
    assert.match(check.stdout, /team\.yaml: OK: 2 rules, 2 roles \(admin, member\), 0 policy scopes/);
    await withServer(TEAM, async (server) => {
      await addUser(server, 'alice', { role: 'admin' });
      await addUser(server, 'bob', { role: 'member' });
      const admin = (await createToken(server, 'alice')).token;
      const member = (await createToken(server, 'bob')).token;
      assert.deepEqual(await toolNames(server, member), ['demo_echo', 'demo_get_time', 'whoami']);
      assert.deepEqual(await toolNames(server, admin), ['demo_echo', 'demo_get_help', 'demo_get_time', 'whoami']);
      assert.equal(outcome('demo_get_help', await callTool(server, member, 'demo_get_help')), 'deny');
      assert.equal(outcome('demo_get_help', await callTool(server, admin, 'demo_get_help')), 'allow');
      assert.match(firstText((await callTool(server, member, 'whoami')).result), /bob/);
    });
  });
});

describe('authorization policy: two users on one URL', SUITE_BOUND, () => {
  test('Alice and Bob sign in through the OAuth pages; their lists differ as the policy says; Bob\'s admin calls never run', async () => {
    await withPolicyServer(async (server, counts) => {
      const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
      const client = await registerPublicClient(server, { redirectUri, name: 'Policy e2e client' });
      const tokens = {};
      for (const name of ['alice', 'bob']) {
        const person = { ...server, username: name, password: PASSWORD };
        const scope = [...ALL_SCOPES, ADMIN_SCOPE].join(' ');
        tokens[name] = (await obtainTokens(person, { clientId: client.client_id, redirectUri, scope, browser: new Browser() })).access_token;
      }
      assert.deepEqual(await toolNames(server, tokens.alice), EXPECTED.alice);
      assert.deepEqual(await toolNames(server, tokens.bob), EXPECTED.bob);

      // Bob calls the admin tools directly: refused like a tool that does not exist.
      const unknown = await callTool(server, tokens.bob, 'no_such_tool');
      for (const name of ['counter_purge', 'counter_stats', 'demo_get_help']) {
        const r = await callTool(server, tokens.bob, name);
        assert.equal(outcome(name, r), 'deny');
        assert.equal(r.error.code, unknown.error.code, 'the same error code as for an unknown tool');
      }
      assert.equal((await counts()).counter_purge, 0, 'the refused counter_purge never reached the plugin');
      assert.equal((await counts()).counter_stats, 0, 'the refused counter_stats never reached the plugin');

      // What Bob may use runs, and is counted.
      assert.equal(outcome('counter_bump', await callTool(server, tokens.bob, 'counter_bump')), 'allow');
      // Alice may use the admin tools: the plugin counts her call only.
      const purged = await callTool(server, tokens.alice, 'counter_purge');
      assert.equal(outcome('counter_purge', purged), 'allow');
      assert.equal(firstText(purged.result), 'purged 1');
      const stats = (await callTool(server, tokens.alice, 'counter_stats')).result.structuredContent;
      assert.deepEqual(stats, { counter_bump: 1, counter_purge: 1, counter_report: 0, counter_stats: 1 });
      assert.deepEqual(await counts(), stats);
    });
  });
});

/** An OAuthClientProvider in memory, for a client registered without refresh tokens. */
class MemoryProvider {
  constructor(redirectUrl) {
    this.redirectUrl = redirectUrl;
    // No refresh_token grant: on a 403 the SDK then starts a new authorization
    // with the challenge's scopes instead of refreshing the narrow token.
    this.clientMetadata = {
      client_name: 'Policy e2e SDK client', redirect_uris: [redirectUrl], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none',
    };
    this.authorizationUrls = [];
  }

  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorizationUrls.push(new URL(url)); }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

/** A fetch that records each response's status and WWW-Authenticate. */
function recordingFetch() {
  const responses = [];
  const wrapped = async (url, init = {}) => {
    const res = await fetch(url, init);
    responses.push({ url: String(url), method: init.method ?? 'GET', status: res.status, challenge: res.headers.get('www-authenticate') });
    return res;
  };
  return { fetch: wrapped, responses };
}

describe('authorization policy: step-up with the official SDK client', SUITE_BOUND, () => {
  test('a tools:read token gets 403 insufficient_scope naming what it lacks; the SDK authorizes again and the call runs', async () => {
    await withPolicyServer(async (server, counts) => {
      const url = new URL(server.url);
      const provider = new MemoryProvider(`http://127.0.0.1:${await freePort()}/callback`);
      const recorder = recordingFetch();
      const browser = new Browser();

      // The SDK registers the client for every scope the resource offers
      // (the protected resource metadata's scopes_supported), then the
      // application asks for tools:read alone, and Alice allows that.
      assert.equal(await within(auth(provider, { serverUrl: url, fetchFn: recorder.fetch }), 'registration'), 'REDIRECT');
      assert.deepEqual(provider.client.scope.split(' ').sort(), ['counter:admin', 'prompts:read', 'resources:read', 'tools:call', 'tools:read']);
      assert.equal(await within(auth(provider, { serverUrl: url, scope: 'tools:read', fetchFn: recorder.fetch }), 'auth() for tools:read'), 'REDIRECT');
      const first = provider.authorizationUrls.at(-1);
      assert.equal(first.searchParams.get('scope'), 'tools:read');
      const code = await consent(first, 'alice', provider.redirectUrl, browser);
      assert.equal(await within(auth(provider, { serverUrl: url, authorizationCode: code, fetchFn: recorder.fetch }), 'the code exchange'), 'AUTHORIZED');
      assert.equal(provider.tokens().scope, 'tools:read');
      assert.equal(provider.tokens().refresh_token, undefined, 'no refresh token for this client');

      const transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recorder.fetch });
      const mcp = new Client({ name: 'portcullis-e2e-policy', version: '1.0.0' });
      await within(mcp.connect(transport, REQUEST), 'the connection');
      try {
        // The list shows counter_purge (Alice may use it with counter:admin).
        const names = (await within(mcp.listTools({}, REQUEST), 'tools/list')).tools.map((t) => t.name).sort();
        assert.deepEqual(names, EXPECTED.alice);

        // The call needs tools:call and the policy's counter:admin: 403, and
        // the SDK starts a new authorization for the challenge's scopes.
        await assert.rejects(
          within(mcp.callTool({ name: 'counter_purge', arguments: {} }, undefined, REQUEST), 'tools/call with tools:read'),
          (e) => e instanceof UnauthorizedError,
        );
        const refused = recorder.responses.find((r) => r.status === 403);
        assert.ok(refused, `a 403: ${JSON.stringify(recorder.responses)}`);
        const challenge = parseChallenge(refused.challenge);
        assert.equal(challenge.error, 'insufficient_scope');
        assert.match(challenge.error_description, /needs the scope counter:admin tools:call/);
        assert.deepEqual(challenge.scope.split(' ').sort(), ['counter:admin', 'tools:call', 'tools:read']);
        assert.equal((await counts()).counter_purge, 0, 'the refused call did not run');
        assert.equal(provider.authorizationUrls.length, 3, 'the SDK asked for a new authorization');
        const second = provider.authorizationUrls.at(-1);
        assert.deepEqual(second.searchParams.get('scope').split(' ').sort(), ['counter:admin', 'tools:call', 'tools:read']);

        // The same browser is still signed in: the consent page names the
        // new scope, Alice allows it, and the SDK exchanges the code.
        const { pages, callback } = await signInAndConsent(browser, second, { username: 'alice', password: PASSWORD, redirectUri: provider.redirectUrl });
        assert.ok(pages.some((p) => p.text.includes(ADMIN_SCOPE) && p.text.includes('counter_purge')),
          `the consent page shows the policy scope and what it unlocks: ${pages.map((p) => p.text).join('\n----\n')}`);
        await within(transport.finishAuth(callback.searchParams.get('code')), 'finishAuth');
        assert.deepEqual(provider.tokens().scope.split(' ').sort(), ['counter:admin', 'tools:call', 'tools:read']);

        const purged = await within(mcp.callTool({ name: 'counter_purge', arguments: {} }, undefined, REQUEST), 'tools/call after step-up');
        assert.equal(firstText(purged), 'purged 1');
        assert.equal((await counts()).counter_purge, 1);

        // The audit log has the 403 as a step-up and the call that ran.
        let lines = [];
        await eventually(async () => {
          const r = await serverCli(server, ['audit', 'tail', '--user', 'alice']);
          assert.equal(r.code, 0, described(r));
          lines = r.stdout.trimEnd().split('\n').filter((l) => l.includes('tool=counter_purge'));
          return lines.length >= 2;
        }, 'the step-up and the call in the audit log');
        assert.match(lines[0], / step-up user=alice .* tool=counter_purge plugin=counter .* outcome=- /);
        assert.match(lines[1], / allow user=alice .* tool=counter_purge plugin=counter .* outcome=ok /);
      } finally {
        await mcp.close();
      }
    });
  });

  test('a member\'s narrow token is not offered a step-up for what the account may not use', async () => {
    await withPolicyServer(async (server, counts) => {
      const token = (await createToken(server, 'bob', { scopes: 'tools:read tools:call' })).token;
      // Bob may never use counter_purge: no 403 that would invite a new sign-in.
      assert.equal(outcome('counter_purge', await callTool(server, token, 'counter_purge')), 'deny');
      const alice = (await createToken(server, 'alice', { scopes: 'tools:read tools:call' })).token;
      const r = await callTool(server, alice, 'counter_purge');
      assert.equal(outcome('counter_purge', r), 'step-up');
      assert.match(r.challenge.error_description, /needs the scope counter:admin$/);
      assert.equal((await counts()).counter_purge, 0);
    });
  });
});

describe('authorization policy: role changes', SUITE_BOUND, () => {
  test('set-role sends tools/list_changed to the user\'s open session; the next tools/list follows the role', async () => {
    await withPolicyServer(async (server) => {
      const token = (await createToken(server, 'bob')).token;
      const recorder = recordingFetch();
      const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: bearer(token) }, fetch: recorder.fetch });
      const mcp = new Client({ name: 'portcullis-e2e-policy', version: '1.0.0' });
      let notified = [];
      let wake = () => {};
      mcp.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
        notified.push(n);
        wake();
      });
      const nextNotification = (what) => within(new Promise((resolve) => {
        wake = resolve;
        if (notified.length > 0) resolve();
      }), what);
      await within(mcp.connect(transport, REQUEST), 'the connection');
      try {
        const names = async () => (await within(mcp.listTools({}, REQUEST), 'tools/list')).tools.map((t) => t.name).sort();
        assert.deepEqual(await names(), EXPECTED.bob);
        // The session's GET stream is open before the change is made.
        await eventually(() => recorder.responses.some((r) => r.method === 'GET' && r.status === 200), 'the GET stream');

        const promoted = await serverCli(server, ['users', 'set-role', 'bob', 'support']);
        assert.equal(promoted.code, 0, described(promoted));
        await nextNotification('notifications/tools/list_changed after set-role support');
        assert.equal(notified[0].method, 'notifications/tools/list_changed');
        assert.deepEqual(await names(), EXPECTED.carol, 'support\'s tools');

        notified = [];
        const demoted = await serverCli(server, ['users', 'set-role', 'bob', 'member']);
        assert.equal(demoted.code, 0, described(demoted));
        await nextNotification('notifications/tools/list_changed after set-role member');
        assert.deepEqual(await names(), EXPECTED.bob);
        await assert.rejects(within(mcp.callTool({ name: 'counter_report', arguments: {} }, undefined, REQUEST), 'counter_report'),
          /Unknown tool: counter_report/);
      } finally {
        await mcp.close();
      }
    });
  });
});

describe('authorization policy: policy explain agrees with the server', SUITE_BOUND, () => {
  test('every user and tool of the test policy, with tokens of every scope and with narrow ones', async () => {
    await withPolicyServer(async (server) => {
      const cases = [];
      for (const user of Object.keys(USERS)) cases.push({ user, ...(await createToken(server, user)) });
      cases.push({ user: 'alice', ...(await createToken(server, 'alice', { scopes: 'tools:read tools:call' })) });
      cases.push({ user: 'carol', ...(await createToken(server, 'carol', { scopes: 'tools:read' })) });
      cases.push({ user: 'bob', ...(await createToken(server, 'bob', { scopes: 'tools:call' })) });
      const seen = new Set();
      for (const { user, token, id } of cases) {
        const listing = await modernCall(server.url, 'tools/list', {}, { headers: bearer(token) });
        const listed = listing.status === 200 ? listing.response.result.tools.map((t) => t.name) : [];
        for (const tool of ALL_TOOLS) {
          const what = `${user} (${id}) ${tool}`;
          const said = await explain(server, ['--user', user, '--token', id, '--tool', tool]);
          const did = await callTool(server, token, tool);
          assert.equal(said.decision, outcome(tool, did), `${what}: explain says\n${said.stdout}\nthe server answered ${JSON.stringify(did)}`);
          if (said.decision === 'step-up') {
            // The challenge names what the token lacks, as explain does.
            const named = /needs the scope (.+)$/.exec(did.challenge.error_description)?.[1].split(' ');
            assert.deepEqual([...said.needs].sort(), (named ?? []).sort(), `${what}: ${did.challenge.error_description}`);
          }
          assert.equal(said.listed === 'yes', listed.includes(tool), `${what}: listed ${said.listed}, tools/list ${listing.status} ${listed}`);
          seen.add(`${said.decision} ${said.rule}`);
        }
      }
      // The cases reach every kind of decision.
      for (const expected of ['allow everyone-basics', 'allow admins-demo-and-reports', 'allow purge-needs-admin-scope', 'allow support-counters',
        'deny no-echo-for-mallory', 'deny (default deny)', 'deny (admin-only primitive)', 'step-up purge-needs-admin-scope', 'step-up everyone-basics',
        'step-up (default deny)', 'step-up (admin-only primitive)']) {
        assert.ok(seen.has(expected), `a case decided "${expected}": ${[...seen].join('; ')}`);
      }
      // Without --token: an OAuth sign-in that granted every scope.
      const admin = await explain(server, ['--user', 'carol', '--tool', 'counter_purge']);
      assert.deepEqual([admin.decision, admin.rule], ['deny', '(admin-only primitive)']);
      assert.match(admin.stdout, /tool: counter_purge \(plugin counter, marked admin-only\)/);
      const scoped = await explain(server, ['--user', 'alice', '--tool', 'counter_purge', '--scopes', 'tools:read,tools:call']);
      assert.deepEqual([scoped.decision, scoped.needs], ['step-up', [ADMIN_SCOPE]]);
    });
  });
});

describe('authorization policy: hostile input', SUITE_BOUND, () => {
  const BAD_POLICY = [
    'roles: [support, "Not A Role"]',
    'scopes: [tools:read]',
    'rules:',
    '  - name: typo',
    '    effect: permit',
    '    tools: [demo_echo]',
    '  - name: ghost-role',
    '    effect: allow',
    '    roles: [auditor]',
    '    tools: [demo_echo]',
    '  - name: nothing',
    '    effect: deny',
    '    users: [mallory]',
    '  - name: scoped-deny',
    '    effect: deny',
    '    scopes: [tools:call]',
    '    tools: ["*"]',
    '  - name: typo',
    '    effect: allow',
    '    tool: [demo_echo]',
    '',
  ].join('\n');
  // path and line of each problem in BAD_POLICY
  const PROBLEMS = [
    [1, 'roles', /"Not A Role" is not a valid role name/],
    [2, 'scopes', /"tools:read" is a built-in scope/],
    [5, 'rules\\[0\\]\\.effect', /is required: allow or deny/],
    [9, 'rules\\[1\\]\\.roles', /unknown role "auditor"/],
    [11, 'rules\\[2\\]', /names nothing/],
    [16, 'rules\\[3\\]\\.scopes', /only allow rules can require scopes/],
    [18, 'rules\\[4\\]\\.name', /another rule is named "typo"/],
    [20, 'rules\\[4\\]\\.tool', /unknown key/],
  ];

  function assertProblems(r, file, prefix = '', offset = 0) {
    assert.equal(r.code, EX_CONFIG, described(r));
    for (const [line, where, message] of PROBLEMS) {
      const re = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line + offset}: ${prefix}${where}: ${message.source}`);
      assert.match(r.stderr, re, `${re} in\n${r.stderr}`);
    }
  }

  test('policy check, config check and serve refuse a bad policy with each problem\'s file and line', async () => {
    const dir = await tempDir('portcullis-policy-bad-');
    try {
      const policyFile = path.join(dir.path, 'policy.yaml');
      await fs.writeFile(policyFile, BAD_POLICY);
      assertProblems(await runCli(['policy', 'check', policyFile]), policyFile);

      // A configuration naming the file: the problems are the file's.
      const { file: viaFile } = await writeConfig(dir.path, { policy: { file: 'policy.yaml' } });
      assertProblems(await runCli(['config', 'check', viaFile]), policyFile);
      assertProblems(await runCli(['policy', 'check', viaFile]), policyFile);
      const serve = spawnServe(['--config', viaFile, '--listen', '127.0.0.1:0']);
      const started = await serve.ready;
      assert.deepEqual(started.exited, { code: EX_CONFIG, signal: null }, `serve refuses to start: ${serve.stdout()}${serve.stderr()}`);
      assertProblems({ code: EX_CONFIG, stderr: serve.stderr() }, policyFile);

      // Inline in the configuration: its lines are the configuration's.
      const inline = path.join(dir.path, 'inline.yaml');
      const head = ['auth:', '  identity: builtin', 'plugins:', '  - name: builtin', '    kind: identity', '    library: builtin', '    config: {}', 'policy:'];
      await fs.writeFile(inline, [...head, ...BAD_POLICY.split('\n').map((l) => (l ? `  ${l}` : l))].join('\n'));
      const offset = head.length;
      assertProblems(await runCli(['config', 'check', inline]), inline, 'policy\\.', offset);
      assertProblems(await runCli(['policy', 'check', inline]), inline, 'policy\\.', offset);
      const inlineServe = spawnServe(['--config', inline, '--listen', '127.0.0.1:0']);
      assert.deepEqual((await inlineServe.ready).exited, { code: EX_CONFIG, signal: null }, inlineServe.stderr());
      assert.match(inlineServe.stderr(), /policy\.rules\[1\]\.roles: unknown role "auditor"/);

      // Not a policy at all, names that are not strings, patterns with control
      // characters or of absurd length, a missing file.
      const hostile = [
        ['list.yaml', '- allow everything\n', /list\.yaml:1: must be a mapping with roles, scopes and rules/],
        ['types.yaml', 'rules:\n  - effect: allow\n    tools: {demo_echo: true}\n', /:3: rules\[0\]\.tools: must be a list of strings/],
        ['control.yaml', 'rules:\n  - effect: allow\n    tools: ["demo\\u0007echo"]\n', /:3: rules\[0\]\.tools: "demo\x07echo" is not a valid name or pattern/],
        ['long.yaml', `rules:\n  - effect: allow\n    tools: ["${'*a'.repeat(400)}"]\n`, /:3: rules\[0\]\.tools: .* is not a valid name or pattern/],
        ['empty-list.yaml', 'rules:\n  - effect: allow\n    users: []\n    tools: [x]\n', /:3: rules\[0\]\.users: must not be empty/],
        ['scope.yaml', 'rules:\n  - effect: allow\n    scopes: [admin]\n    tools: [x]\n', /:3: rules\[0\]\.scopes: unknown scope "admin"/],
      ];
      for (const [name, content, message] of hostile) {
        const file = path.join(dir.path, name);
        await fs.writeFile(file, content);
        const r = await runCli(['policy', 'check', file]);
        assert.equal(r.code, EX_CONFIG, `${name}: ${described(r)}`);
        assert.match(r.stderr, message, `${name}: ${described(r)}`);
      }
      const missing = await runCli(['policy', 'check', path.join(dir.path, 'nope.yaml')]);
      assert.equal(missing.code, EX_CONFIG, described(missing));
      assert.match(missing.stderr, /nope\.yaml: cannot read the file/);
      const usage = await runCli(['policy', 'check']);
      assert.equal(usage.code, EX_USAGE, described(usage));
      assert.equal((await runCli(['policy', 'frobnicate'])).code, EX_USAGE);
    } finally {
      await dir.remove();
    }
  });

  test('set-role takes the policy\'s roles only; explain refuses unknown users, tokens and tools', async () => {
    await withPolicyServer(async (server) => {
      const wrong = await serverCli(server, ['users', 'set-role', 'bob', 'auditor']);
      assert.equal(wrong.code, EX_USAGE, described(wrong));
      assert.match(wrong.stderr, /ROLE is admin, member or support, not "auditor"/);
      const ok = await serverCli(server, ['users', 'set-role', 'bob', 'support']);
      assert.equal(ok.code, 0, described(ok));
      assert.match((await serverCli(server, ['users', 'list'])).stdout, /bob .*support/);
      const added = await serverCli(server, ['users', 'add', 'dave', '--role', 'support']);
      assert.equal(added.code, 0, described(added));
      // The team configuration has no custom role.
      const team = await runCli(['users', 'set-role', 'bob', 'support', '--config', TEAM]);
      assert.equal(team.code, EX_USAGE, described(team));
      assert.match(team.stderr, /ROLE is admin or member, not "support"/);

      const tokenOfAlice = (await createToken(server, 'alice')).id;
      for (const [args, message] of [
        [['--user', 'ghost', '--tool', 'whoami'], /no user ghost/],
        [['--user', 'bob', '--tool', 'no_such_tool'], /no tool no_such_tool is served by this configuration \(whoami, demo_echo/],
        [['--user', 'bob', '--prompt', 'nope'], /no prompt nope/],
        [['--user', 'bob', '--token', 'tok_nope', '--tool', 'whoami'], /no API token tok_nope/],
        [['--user', 'bob', '--token', tokenOfAlice, '--tool', 'whoami'], /belongs to alice, not bob/],
        [['--user', 'bob'], /give one of --tool, --resource or --prompt/],
        [['--tool', 'whoami'], /--user is required/],
        [['--user', 'bob', '--tool', 'whoami', '--scopes', 'tools:write'], /unknown scope "tools:write"/],
        [['--user', 'bob', '--tool', 'whoami', '--client', 'c', '--token', tokenOfAlice], /--client or --token, not both/],
        [['--user', 'bob', '--tool', 'whoami', '--frobnicate'], /unknown option --frobnicate/],
      ]) {
        const r = await serverCli(server, ['policy', 'explain', ...args]);
        assert.equal(r.code, EX_USAGE, `explain ${args.join(' ')}: ${described(r)}`);
        assert.match(r.stderr, message, `explain ${args.join(' ')}: ${described(r)}`);
        assert.equal(r.stdout, '', 'no decision printed');
      }
      // A resource and a prompt of the demo plugin.
      assert.equal((await explain(server, ['--user', 'bob', '--resource', 'demo://readme'])).decision, 'deny');
      assert.equal((await explain(server, ['--user', 'alice', '--prompt', 'demo_greeting'])).decision, 'deny');
    });
  });
});
