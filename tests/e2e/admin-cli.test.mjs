// The admin commands of the portcullis command line (users, tokens, clients,
// keys), run as child processes against the database of a real server
// process on the default configuration, and what the server makes of their
// changes: a disabled user's or revoked token's next request is refused,
// scopes are enforced, an expired token stops working, a rotated signing key
// is published. Also the bad input of each command, and the one-time setup
// link printed at the first start.
//
// The server reads the database change log every 250 ms; the product promise
// is that the next request after a revocation fails within one second. The
// revocation tests therefore wait one second after the command returned and
// then expect the refusal. Everything else uses bounded waits only.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  withServer, within, eventually, boundedFetch, modernCall, firstText, serverCli, runCli, addUser, createToken,
  bearer, parseChallenge, assertChallenge, described, SUITE_BOUND, WAIT_MS, MCP_SCOPES,
} from './support/mcp.mjs';

const DEFAULT = 'config/portcullis.yaml';
const OPEN = 'config/examples/open.yaml';
const EX_FAILURE = 1;
const EX_USAGE = 64;
const EX_CONFIG = 78;
// The product requirement: a revocation reaches a running server within one second.
const REVOCATION_MS = 1_000;

const PASSWORD = 'correct horse battery staple';

/** Waits the time a revocation is allowed to take to reach the server. */
function revocationDelay() {
  return new Promise((resolve) => setTimeout(resolve, REVOCATION_MS));
}

/** Runs the CLI against the server's database and checks it worked. */
async function ok(server, args, options) {
  const r = await serverCli(server, args, options);
  assert.equal(r.code, 0, `portcullis ${args.join(' ')}: ${described(r)}`);
  assert.equal(r.signal, null);
  return r;
}

/** Runs the CLI and checks it failed with `code` and a message matching `message` on stderr. */
async function fails(server, args, code, message, options) {
  const r = await serverCli(server, args, options);
  assert.equal(r.code, code, `portcullis ${args.join(' ')} must exit ${code}: ${described(r)}`);
  assert.equal(r.signal, null);
  assert.match(r.stderr, message, `portcullis ${args.join(' ')}: ${described(r)}`);
  assert.doesNotMatch(r.stderr, /terminate called|Segmentation|Aborted|core dumped/, r.stderr);
  return r;
}

/**
 * A table printed by a list command: columns are separated by two spaces
 * or more, and empty cells are printed as "-".
 */
function table(stdout) {
  const [header, ...rows] = stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/));
  return {
    header,
    rows: rows.map((cells) => {
      assert.equal(cells.length, header.length, `a cell per column: ${cells.join(' | ')}\n${stdout}`);
      return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    }),
  };
}

async function list(server, what) {
  return table((await ok(server, [what, 'list'])).stdout);
}

/** One 2026-07-28 request with `token` (or none). */
function call(server, token, method, params = {}) {
  return modernCall(server.url, method, params, { headers: token ? bearer(token) : {} });
}

function echo(server, token, text = 'hello') {
  return call(server, token, 'tools/call', { name: 'demo_echo', arguments: { text } });
}

/** Checks a request was served: 200 and a result. */
function assertServed(r, what) {
  assert.equal(r.status, 200, `${what}: HTTP ${r.status} ${JSON.stringify(r.response)}`);
  assert.ok(r.response?.result, `${what}: a result, got ${JSON.stringify(r.response)}`);
  return r.response.result;
}

/** Checks a request was refused as unauthenticated with error="invalid_token". */
function assertInvalidToken(server, r, what, description) {
  assert.equal(r.status, 401, `${what}: HTTP ${r.status} ${JSON.stringify(r.response)}`);
  const header = r.headers.get('www-authenticate');
  const challenge = parseChallenge(header);
  assert.ok(challenge, `${what}: a Bearer challenge, got ${header}`);
  assert.equal(challenge.error, 'invalid_token', `${what}: ${header}`);
  assert.equal(challenge.resource_metadata, `${server.origin}/.well-known/oauth-protected-resource/mcp`, header);
  if (description) assert.match(challenge.error_description ?? '', description, `${what}: ${header}`);
  assert.equal(r.response?.result, undefined, `${what}: no result`);
  return challenge;
}

async function whoami(server, token) {
  const result = assertServed(await call(server, token, 'tools/call', { name: 'whoami', arguments: {} }), 'whoami');
  return result.structuredContent ?? JSON.parse(firstText(result));
}

describe('admin CLI: an empty database', SUITE_BOUND, () => {
  test('users, tokens and clients list print only their header', async () => {
    await withServer(DEFAULT, async (server) => {
      for (const [what, header] of [
        ['users', ['USERNAME', 'EMAIL', 'ROLE', 'STATE', 'CREATED', 'LAST SIGN-IN']],
        ['tokens', ['ID', 'NAME', 'USER', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE']],
        ['clients', ['ID', 'NAME', 'KIND', 'USERS', 'SCOPES', 'CREATED', 'LAST USED', 'STATE']],
      ]) {
        const r = await ok(server, [what, 'list']);
        assert.equal(r.stdout.split('\n').length, 2, `one line and its newline: ${JSON.stringify(r.stdout)}`);
        assert.deepEqual(table(r.stdout), { header, rows: [] });
        assert.equal(r.stderr, '');
      }
    });
  });

  test('the setup link printed at the first start opens a form, until a user exists', async () => {
    await withServer(DEFAULT, async (server) => {
      const link = await eventually(() => /^ {2}(http:\/\/\S+\/setup\?token=\S+)$/m.exec(server.stdout())?.[1],
        'the setup link on standard output');
      const url = new URL(link);
      assert.equal(url.origin, server.origin);
      const res = await within(boundedFetch(url), 'GET the setup link');
      const html = await res.text();
      assert.equal(res.status, 200, html);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const form = /<form\b[^>]*>([\s\S]*?)<\/form>/.exec(html);
      assert.ok(form, `a form in:\n${html}`);
      assert.match(form[0], /^<form\b[^>]*\bmethod="post"/i);
      assert.match(form[0], /^<form\b[^>]*\baction="\/setup"/);
      for (const name of ['username', 'password', 'confirm']) {
        assert.match(form[1], new RegExp(`<input\\b[^>]*\\bname="${name}"`), `an input named ${name}`);
      }
      assert.match(form[1], /<input\b[^>]*\bname="password"[^>]*\btype="password"|<input\b[^>]*\btype="password"[^>]*\bname="password"/);
      const hidden = /<input\b[^>]*\bname="token"[^>]*\bvalue="([^"]*)"/.exec(form[1]);
      assert.equal(hidden?.[1], url.searchParams.get('token'), 'the form carries the link token');

      // A wrong token shows no form.
      const wrong = new URL(url);
      wrong.searchParams.set('token', 'not-the-token-not-the-token-xx');
      const refused = await within(boundedFetch(wrong), 'GET a wrong setup link');
      assert.equal(refused.status, 404);
      assert.doesNotMatch(await refused.text(), /<form/);

      // Once the command line created a user, the link no longer works.
      await addUser(server, 'first-admin', { role: 'admin', password: PASSWORD });
      const after = await within(boundedFetch(url), 'GET the setup link after a user exists');
      assert.equal(after.status, 404);
      assert.doesNotMatch(await after.text(), /<form/);
    });
  });
});

describe('admin CLI: users', SUITE_BOUND, () => {
  test('users add, list and set-role; a role change reaches the next request', async () => {
    await withServer(DEFAULT, async (server) => {
      let r = await ok(server, ['users', 'add', 'Alice', '--email', 'alice@example.com', '--role', 'admin', '--password-stdin'],
        { input: `${PASSWORD}\n` });
      assert.equal(r.stdout, 'created user alice (admin)\n');
      r = await ok(server, ['users', 'add', 'bob']);
      assert.match(r.stdout, /^created user bob \(member\); no password set/);

      let users = await list(server, 'users');
      assert.deepEqual(users.rows.map((u) => [u.USERNAME, u.EMAIL, u.ROLE, u.STATE, u['LAST SIGN-IN']]), [
        ['alice', 'alice@example.com', 'admin', 'active', '-'],
        ['bob', '-', 'member', 'active', '-'],
      ]);
      for (const u of users.rows) assert.match(u.CREATED, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

      // Names are case-insensitive: ALICE is alice.
      await fails(server, ['users', 'add', 'ALICE'], EX_FAILURE, /alice already exists/);

      const { token } = await createToken(server, 'bob');
      assert.deepEqual((await whoami(server, token)).roles, ['member']);
      r = await ok(server, ['users', 'set-role', 'BOB', 'admin']);
      assert.equal(r.stdout, 'bob is now admin\n');
      users = await list(server, 'users');
      assert.equal(users.rows.find((u) => u.USERNAME === 'bob').ROLE, 'admin');
      const roles = await eventually(async () => {
        const who = await whoami(server, token);
        return who.roles.includes('admin') && who.roles;
      }, 'the new role to reach the server');
      assert.deepEqual(roles, ['admin']);

      await ok(server, ['users', 'set-role', 'bob', 'member']);
      assert.equal((await list(server, 'users')).rows.find((u) => u.USERNAME === 'bob').ROLE, 'member');
    });
  });

  test("users disable refuses the user's API token on the next request; enable restores it", async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'carol');
      await addUser(server, 'dave');
      const { token } = await createToken(server, 'carol');
      const { token: other } = await createToken(server, 'dave');
      assertServed(await echo(server, token), 'before disable');

      const r = await ok(server, ['users', 'disable', 'carol']);
      assert.equal(r.stdout, 'carol is disabled\n');
      await revocationDelay();
      assertInvalidToken(server, await echo(server, token), 'after disable', /disabled/);
      assertInvalidToken(server, await call(server, token, 'tools/list'), 'tools/list after disable', /disabled/);
      // Another user's token is not affected.
      assertServed(await echo(server, other), "dave's token after carol was disabled");

      const users = await list(server, 'users');
      assert.equal(users.rows.find((u) => u.USERNAME === 'carol').STATE, 'disabled');
      assert.equal(users.rows.find((u) => u.USERNAME === 'dave').STATE, 'active');
      // A disabled user gets no new token.
      await fails(server, ['tokens', 'create', '--user', 'carol'], EX_FAILURE, /carol is disabled/);

      assert.equal((await ok(server, ['users', 'enable', 'carol'])).stdout, 'carol is enabled\n');
      const back = await eventually(async () => {
        const res = await echo(server, token, 'back');
        return res.status === 200 && res;
      }, "carol's token to work again after enable");
      assert.equal(firstText(assertServed(back, 'after enable')), 'back');
      assert.equal((await list(server, 'users')).rows.find((u) => u.USERNAME === 'carol').STATE, 'active');
    });
  });

  test('a disabled user is refused inside a session opened before', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'erin');
      const { token } = await createToken(server, 'erin');
      const client = new Client({ name: 'portcullis-e2e-admin', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: bearer(token) } });
      await within(client.connect(transport, { timeout: WAIT_MS }), 'the SDK client to connect');
      try {
        const before = await within(client.callTool({ name: 'demo_echo', arguments: { text: 'in session' } }, undefined, { timeout: WAIT_MS }), 'demo_echo');
        assert.equal(firstText(before), 'in session');
        await ok(server, ['users', 'disable', 'erin']);
        await revocationDelay();
        await assert.rejects(
          within(client.callTool({ name: 'demo_echo', arguments: { text: 'x' } }, undefined, { timeout: WAIT_MS }), 'demo_echo after disable'),
          (e) => /401|Unauthorized/i.test(`${e?.message} ${e?.code}`),
        );
      } finally {
        await client.close();
      }
    });
  });

  test('bad input to users add, set-role, disable and enable is refused with a clear message', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'frank');
      await fails(server, ['users', 'add'], EX_USAGE, /give exactly one NAME/);
      await fails(server, ['users', 'add', 'a', 'b'], EX_USAGE, /give exactly one NAME/);
      await fails(server, ['users', 'add', 'gina', '--role', 'owner'], EX_USAGE, /--role is admin or member, not "owner"/);
      await fails(server, ['users', 'add', 'bad name!'], EX_FAILURE, /username is 1 to 64 letters/);
      await fails(server, ['users', 'add', 'x'.repeat(65)], EX_FAILURE, /username is 1 to 64 letters/);
      await fails(server, ['users', 'add', 'frank'], EX_FAILURE, /frank already exists/);
      await fails(server, ['users', 'add', 'gina', '--colour', 'blue'], EX_USAGE, /Usage: portcullis users/);
      await fails(server, ['users', 'set-role', 'ghost', 'admin'], EX_FAILURE, /no user ghost/);
      await fails(server, ['users', 'set-role', 'frank', 'superuser'], EX_USAGE, /ROLE is admin or member, not "superuser"/);
      await fails(server, ['users', 'set-role', 'frank'], EX_USAGE, /give NAME and ROLE/);
      await fails(server, ['users', 'disable', 'ghost'], EX_FAILURE, /no user ghost/);
      await fails(server, ['users', 'enable', 'ghost'], EX_FAILURE, /no user ghost/);
      await fails(server, ['users', 'disable'], EX_USAGE, /give exactly one NAME/);
      await fails(server, ['users', 'rename', 'frank'], EX_USAGE, /unknown command rename/);
      await fails(server, ['users'], EX_USAGE, /a command is required/);

      // A password that is too short is refused and leaves no user behind.
      let r = await fails(server, ['users', 'add', 'gina', '--password-stdin'], EX_FAILURE, /password.*at least 12 characters/,
        { input: 'short\n' });
      assert.equal(r.stdout, '');
      // Nothing on standard input is refused too.
      r = await fails(server, ['users', 'add', 'gina', '--password-stdin'], EX_FAILURE, /nothing on standard input/, { input: '' });

      // None of it changed anything: frank, still a member and active, alone.
      const users = await list(server, 'users');
      assert.deepEqual(users.rows.map((u) => [u.USERNAME, u.ROLE, u.STATE]), [['frank', 'member', 'active']]);

      // The same name with a good password works.
      r = await ok(server, ['users', 'add', 'gina', '--password-stdin'], { input: `${PASSWORD}\n` });
      assert.equal(r.stdout, 'created user gina (member)\n');
    });
  });

  test('a configuration without an auth section is refused by every admin command', async () => {
    // open.yaml has no sign-in: no users, tokens, clients or keys.
    await withServer(OPEN, async (server) => {
      for (const args of [
        ['users', 'list'], ['users', 'add', 'henry'], ['users', 'disable', 'henry'],
        ['tokens', 'list'], ['tokens', 'create', '--user', 'henry'], ['tokens', 'revoke', 'tok_x'],
        ['clients', 'list'], ['keys', 'list'], ['keys', 'rotate'],
      ]) {
        const r = await fails(server, args, EX_CONFIG, /has no auth section: sign-in is off/);
        assert.match(r.stderr, new RegExp(`^portcullis ${args[0]}: the configuration .*open\\.yaml has no auth section`));
        assert.equal(r.stdout, '');
      }
      // And the server is still open.
      assertServed(await echo(server, undefined, 'open'), 'open.yaml without a token');
    });
  });
});

describe('admin CLI: tokens', SUITE_BOUND, () => {
  test('tokens create prints the token alone on stdout; tokens list shows it without the secret', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'ivy');
      const r = await ok(server, ['tokens', 'create', '--user', 'ivy', '--scopes', 'tools:read,tools:call', '--ttl', '7d', '--name', 'ci']);
      assert.match(r.stdout, /^pct_[A-Za-z0-9_-]{43}\n$/, `exactly one line, the token: ${JSON.stringify(r.stdout)}`);
      const token = r.stdout.trim();
      const id = /^created (tok_\S+) for ivy \(tools:read tools:call\), expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC; it is not shown again$/m
        .exec(r.stderr)?.[1];
      assert.ok(id, r.stderr);
      assert.doesNotMatch(r.stderr, /pct_/, 'the token is not repeated on stderr');

      // Default scopes: all four.
      const all = await createToken(server, 'ivy');
      assert.notEqual(all.token, token);

      const tokens = await list(server, 'tokens');
      assert.equal(tokens.rows.length, 2);
      const row = tokens.rows.find((t) => t.ID === id);
      assert.ok(row, JSON.stringify(tokens));
      assert.deepEqual([row.NAME, row.USER, row.SCOPES, row.STATE, row['LAST USED']], ['ci', 'ivy', 'tools:read,tools:call', 'active', '-']);
      const other = tokens.rows.find((t) => t.ID === all.id);
      assert.deepEqual([other.NAME, other.SCOPES], ['-', MCP_SCOPES.join(',')]);
      const listed = await ok(server, ['tokens', 'list']);
      assert.doesNotMatch(listed.stdout, /pct_/, 'tokens list never shows a token');

      // The token works, and its use is recorded.
      assertServed(await echo(server, token), 'the new token');
      const used = (await list(server, 'tokens')).rows.find((t) => t.ID === id);
      assert.match(used['LAST USED'], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    });
  });

  test('scopes are enforced: a tools:read token lists tools but gets 403 insufficient_scope on tools/call', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'jack');
      const { token } = await createToken(server, 'jack', { scopes: 'tools:read' });

      const listed = assertServed(await call(server, token, 'tools/list'), 'tools/list with tools:read');
      assert.ok(listed.tools.some((t) => t.name === 'demo_echo'), JSON.stringify(listed));
      assertServed(await call(server, token, 'server/discover'), 'server/discover needs no scope');

      for (const [method, params, needed] of [
        ['tools/call', { name: 'demo_echo', arguments: { text: 'x' } }, 'tools:call'],
        ['resources/read', { uri: 'demo://readme' }, 'resources:read'],
        ['prompts/list', {}, 'prompts:read'],
      ]) {
        const r = await call(server, token, method, params);
        assert.equal(r.status, 403, `${method}: HTTP ${r.status} ${JSON.stringify(r.response)}`);
        assert.equal(r.response?.result, undefined);
        const header = r.headers.get('www-authenticate');
        const challenge = parseChallenge(header);
        assert.ok(challenge, header);
        assert.equal(challenge.error, 'insufficient_scope', header);
        assert.equal(challenge.resource_metadata, `${server.origin}/.well-known/oauth-protected-resource/mcp`, header);
        // What the token has plus what is missing.
        assert.deepEqual(challenge.scope.split(' ').sort(), ['tools:read', needed].sort(), header);
        assert.match(challenge.error_description ?? '', new RegExp(needed), header);
      }

      // A token with tools:call may call.
      const { token: caller } = await createToken(server, 'jack', { scopes: 'tools:call' });
      assert.equal(firstText(assertServed(await echo(server, caller, 'called'), 'tools/call with tools:call')), 'called');
      assert.equal((await call(server, caller, 'tools/list')).status, 403, 'tools/list needs tools:read');
    });
  });

  test('tokens revoke: the next request with the token is refused with invalid_token', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'kate');
      const { token, id } = await createToken(server, 'kate');
      const { token: kept } = await createToken(server, 'kate');
      assertServed(await echo(server, token), 'before revoke');

      // A 2025-11-25 session opened with the token, before the revocation.
      const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...bearer(token) };
      const init = await within(boundedFetch(server.url, {
        method: 'POST', headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }),
      }), 'initialize');
      assert.equal(init.status, 200);
      const session = init.headers.get('mcp-session-id');
      assert.ok(session);
      await init.arrayBuffer();
      const inSession = { ...headers, 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-11-25' };

      const r = await ok(server, ['tokens', 'revoke', id]);
      assert.equal(r.stdout, `revoked ${id}\n`);
      await revocationDelay();
      assertInvalidToken(server, await echo(server, token), 'after revoke');
      const stale = await within(boundedFetch(server.url, {
        method: 'POST', headers: inSession,
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      }), 'tools/list in the session after revoke');
      await assertChallenge(stale, server, { error: 'invalid_token' });
      // The user's other token still works.
      assertServed(await echo(server, kept), 'another token of the same user');

      const row = (await list(server, 'tokens')).rows.find((t) => t.ID === id);
      assert.equal(row.STATE, 'revoked');
      // A second revoke, and an unknown id, fail.
      await fails(server, ['tokens', 'revoke', id], EX_FAILURE, new RegExp(`no active token ${id}`));
      await fails(server, ['tokens', 'revoke', 'tok_doesNotExist'], EX_FAILURE, /no active token tok_doesNotExist/);
    });
  });

  test('an expired token is refused', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'liam');
      const { id } = await createToken(server, 'liam', { ttl: '1s' });
      const { token: expiring } = await createToken(server, 'liam', { ttl: '1s' });
      const { token: lasting } = await createToken(server, 'liam');
      // Wait (bounded) until the token has run out; it may or may not have
      // worked before, depending on how quickly this got here.
      const refused = await eventually(async () => {
        const res = await echo(server, expiring);
        return res.status !== 200 && res;
      }, 'the one-second token to expire', { intervalMs: 100 });
      assertInvalidToken(server, refused, 'an expired token');
      // It stays refused, and the list says why.
      assertInvalidToken(server, await echo(server, expiring), 'an expired token, again', /expired/);
      const rows = (await list(server, 'tokens')).rows;
      assert.equal(rows.length, 3);
      assert.equal(rows.find((t) => t.ID === id).STATE, 'expired');
      // A token of the same user with the default lifetime still works.
      assertServed(await echo(server, lasting), 'a token that has not expired');
    });
  });

  test('bad input to tokens create and revoke is refused with a clear message', async () => {
    await withServer(DEFAULT, async (server) => {
      await addUser(server, 'mia');
      await fails(server, ['tokens', 'create'], EX_USAGE, /--user is required/);
      await fails(server, ['tokens', 'create', '--scopes', 'tools:read'], EX_USAGE, /--user is required/);
      await fails(server, ['tokens', 'create', '--user', 'ghost'], EX_FAILURE, /no user ghost/);
      for (const ttl of ['soon', '0', '0s', '-1d', '5w', '1.5d', '']) {
        await fails(server, ['tokens', 'create', '--user', 'mia', '--ttl', ttl], EX_USAGE,
          new RegExp(`--ttl is a duration such as 30d, 12h or 90m, not "${ttl.replace('.', '\\.')}"`));
      }
      const unknown = await fails(server, ['tokens', 'create', '--user', 'mia', '--scopes', 'tools:read tools:delete'], EX_USAGE,
        /unknown scope "tools:delete"/);
      for (const scope of MCP_SCOPES) assert.ok(unknown.stderr.includes(scope), `the known scopes are listed: ${unknown.stderr}`);
      await fails(server, ['tokens', 'create', '--user', 'mia', '--scopes', 'admin'], EX_USAGE, /unknown scope "admin"/);
      await fails(server, ['tokens', 'create', '--user', 'mia', '--scopes', ' , '], EX_USAGE, /--scopes is empty/);
      await fails(server, ['tokens', 'create', 'extra', '--user', 'mia'], EX_USAGE, /unexpected argument/);
      await fails(server, ['tokens', 'create', '--user'], EX_USAGE, /Usage: portcullis tokens/);
      await fails(server, ['tokens', 'revoke'], EX_USAGE, /give exactly one ID/);
      await fails(server, ['tokens', 'burn'], EX_USAGE, /unknown command burn/);
      assert.equal((await serverCli(server, ['tokens', 'create', '--user', 'ghost'])).stdout, '', 'no token printed on failure');
      // Nothing was created.
      assert.deepEqual((await list(server, 'tokens')).rows, []);
    });
  });
});

describe('admin CLI: clients and keys', SUITE_BOUND, () => {
  test('bad input to clients and keys is refused with a clear message', async () => {
    await withServer(DEFAULT, async (server) => {
      await fails(server, ['clients', 'revoke', 'pc_doesNotExist'], EX_FAILURE, /pc_doesNotExist/);
      await fails(server, ['clients', 'revoke'], EX_USAGE, /give exactly one ID/);
      await fails(server, ['clients', 'list', 'extra'], EX_USAGE, /no arguments/);
      await fails(server, ['clients'], EX_USAGE, /a command is required/);
      await fails(server, ['keys', 'shred'], EX_USAGE, /unknown command shred/);
      await fails(server, ['keys'], EX_USAGE, /a command is required/);
      assert.deepEqual((await list(server, 'clients')).rows, []);
    });
  });

  test('keys rotate: the JWKS then publishes both keys and keys list shows the old one retired', async () => {
    await withServer(DEFAULT, async (server) => {
      const jwks = async () => {
        const res = await within(boundedFetch(new URL('/oauth/jwks', server.url)), 'GET /oauth/jwks');
        assert.equal(res.status, 200);
        const doc = await res.json();
        assert.ok(Array.isArray(doc.keys), JSON.stringify(doc));
        for (const k of doc.keys) {
          assert.equal(k.d, undefined, 'no private key material in the JWKS');
          assert.equal(typeof k.kid, 'string');
        }
        return doc.keys;
      };
      const before = await jwks();
      assert.equal(before.length, 1, JSON.stringify(before));
      const oldKid = before[0].kid;
      assert.equal(before[0].alg, 'ES256');
      assert.equal(before[0].kty, 'EC');

      let keys = await list(server, 'keys');
      assert.deepEqual(keys.header, ['KID', 'ALG', 'CREATED', 'RETIRED']);
      assert.deepEqual(keys.rows.map((k) => [k.KID, k.ALG, k.RETIRED]), [[oldKid, 'ES256', '-']]);

      const r = await ok(server, ['keys', 'rotate']);
      const newKid = /^new signing key (\S+) \(ES256\)/.exec(r.stdout)?.[1];
      assert.ok(newKid, r.stdout);
      assert.notEqual(newKid, oldKid);

      const after = await eventually(async () => {
        const published = await jwks();
        return published.some((k) => k.kid === newKid) && published;
      }, 'the new key in the JWKS');
      assert.deepEqual(after.map((k) => k.kid).sort(), [oldKid, newKid].sort());

      keys = await list(server, 'keys');
      assert.equal(keys.rows.length, 2, JSON.stringify(keys));
      const old = keys.rows.find((k) => k.KID === oldKid);
      const fresh = keys.rows.find((k) => k.KID === newKid);
      assert.ok(old && fresh, JSON.stringify(keys));
      assert.match(old.RETIRED, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, 'the old key is retired');
      assert.equal(fresh.RETIRED, '-');
      assert.equal(fresh.ALG, 'ES256');
    });
  });
});

describe('admin CLI: help', SUITE_BOUND, () => {
  for (const [command, words] of [
    ['users', ['add NAME', 'list', 'set-role NAME ROLE', 'disable NAME', 'enable NAME', '--password-stdin']],
    ['tokens', ['create --user NAME', 'list', 'revoke ID', '--scopes', '--ttl']],
    ['clients', ['list', 'revoke ID']],
    ['keys', ['rotate', 'list']],
  ]) {
    test(`${command} --help describes every subcommand and exits 0`, async () => {
      const r = await runCli([command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`Usage: portcullis ${command} <command> [--config FILE]\n`), r.stdout);
      for (const w of words) assert.ok(r.stdout.includes(w), `${w} in:\n${r.stdout}`);
      assert.equal(r.stderr, '');
    });
  }
});
