// `portcullis audit tail` against the database of a real server process on
// config/examples/team.yaml (sign-in and a policy): allowed and refused calls
// made with API tokens show up, one line each, with the decision, the user,
// the client, the tool, the plugin, the rule, the outcome and the latency;
// --user, --limit and --follow; values with quotes and spaces are quoted;
// bad usage exits 64 and a configuration without sign-in exits 78.
//
// The server writes decisions in batches on its own thread, so the tests
// poll the command (bounded) until the rows are there.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  BIN, ROOT, withServer, within, eventually, modernCall, serverCli, runCli, apiToken, bearer, described,
  SUITE_BOUND,
} from './support/mcp.mjs';

const TEAM = 'config/examples/team.yaml';
const OPEN = 'config/examples/open.yaml';
const EX_USAGE = 64;
const EX_CONFIG = 78;

const TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const CLIENT = 'client=api-token:tok_\\S+';
const LATENCY = 'latency=\\d+\\.\\d{3}ms';

function call(server, token, name, args = {}) {
  return modernCall(server.url, 'tools/call', { name, arguments: args }, { headers: bearer(token) });
}

async function tail(server, args = []) {
  const r = await serverCli(server, ['audit', 'tail', ...args]);
  assert.equal(r.code, 0, `audit tail ${args.join(' ')}: ${described(r)}`);
  assert.equal(r.signal, null);
  return r.stdout === '' ? [] : r.stdout.trimEnd().split('\n');
}

/** Polls `audit tail ARGS` until it prints `count` lines; returns them. */
async function tailUntil(server, args, count) {
  let lines = [];
  await eventually(async () => {
    lines = await tail(server, args);
    return lines.length >= count;
  }, `${count} lines from audit tail ${args.join(' ')}`);
  return lines;
}

describe('audit tail', SUITE_BOUND, () => {
  test("shows each user's allowed and refused calls with the rule that decided", async () => {
    await withServer(TEAM, async (server) => {
      const alice = await apiToken(server, { user: 'alice' });
      const bob = await apiToken(server, { user: 'bob' });
      assert.equal((await call(server, alice, 'demo_echo', { text: 'hi' })).status, 200);
      const refused = await call(server, alice, 'demo_get_help');
      assert.equal(refused.response?.result, undefined, JSON.stringify(refused.response));
      assert.equal((await call(server, bob, 'demo_get_time')).status, 200);

      const lines = await tailUntil(server, ['--user', 'alice'], 2);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.match(lines[0], new RegExp(`^${TIME} allow user=alice ${CLIENT} tool=demo_echo plugin=demo `
        + `rule=everyone-uses-the-basics outcome=ok ${LATENCY}$`));
      assert.match(lines[1], new RegExp(`^${TIME} deny user=alice ${CLIENT} tool=demo_get_help plugin=demo `
        + `rule="\\(default deny\\)" outcome=- ${LATENCY}$`));

      // Usernames are matched as the directory keeps them, in lower case.
      assert.deepEqual(await tail(server, ['--user', 'ALICE']), lines);
      assert.deepEqual(await tail(server, ['--user', 'nobody']), []);

      const all = await tailUntil(server, [], 3);
      assert.equal(all.length, 3, all.join('\n'));
      assert.match(all[2], /^\S+ allow user=bob .* tool=demo_get_time .* rule=everyone-uses-the-basics outcome=ok /);

      // --limit: the newest N, oldest first.
      assert.deepEqual(await tail(server, ['--limit', '2']), all.slice(1));
      assert.deepEqual(await tail(server, ['--user', 'alice', '--limit=1']), lines.slice(1));
    });
  });

  test('a name with quotes and spaces is quoted and escaped on its line', async () => {
    await withServer(TEAM, async (server) => {
      const token = await apiToken(server, { user: 'carol' });
      const r = await call(server, token, 'say "hi" to me', {});
      assert.equal(r.response?.result, undefined, JSON.stringify(r.response));
      const lines = await tailUntil(server, ['--user', 'carol'], 1);
      assert.match(lines[0], / deny user=carol \S+ tool="say \\"hi\\" to me" plugin=- rule="\(not found\)" /);
    });
  });

  test('--follow prints new decisions as they come until interrupted', async () => {
    await withServer(TEAM, async (server) => {
      const token = await apiToken(server, { user: 'dave' });
      assert.equal((await call(server, token, 'demo_echo', { text: 'one' })).status, 200);
      await tailUntil(server, ['--user', 'dave'], 1);

      const child = spawn(BIN, ['audit', 'tail', '--user', 'dave', '--follow', '--config', server.config], {
        cwd: ROOT,
        env: { ...process.env, ...server.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
      try {
        await eventually(() => stdout.split('\n').length === 2, 'the first line of audit tail --follow');
        assert.match(stdout, / allow user=dave .* tool=demo_echo /);
        assert.equal((await call(server, token, 'demo_get_time')).status, 200);
        const refused = await call(server, token, 'demo_get_help');
        assert.equal(refused.response?.result, undefined);
        await eventually(() => stdout.split('\n').length === 4, 'two more lines from audit tail --follow');
        const lines = stdout.trimEnd().split('\n');
        assert.match(lines[1], / allow user=dave .* tool=demo_get_time .* outcome=ok /);
        assert.match(lines[2], / deny user=dave .* tool=demo_get_help /);
        child.kill('SIGINT');
        assert.deepEqual(await within(exited, 'audit tail --follow to exit after SIGINT'), { code: 0, signal: null },
          stderr);
        assert.equal(stderr, '');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });

  test('--help, bad usage (64) and a configuration without sign-in (78)', async () => {
    const help = await runCli(['audit', '--help']);
    assert.equal(help.code, 0, described(help));
    assert.match(help.stdout, /^Usage: portcullis audit tail \[--user NAME\] \[--limit N\] \[--follow\]/);
    assert.equal((await runCli(['audit', 'tail', '--help'])).stdout, help.stdout);
    assert.match((await runCli(['--help'])).stdout, /^ {2}audit tail /m);

    for (const [args, message] of [
      [['audit'], /a command is required/],
      [['audit', 'head'], /unknown command head/],
      [['audit', 'tail', 'extra'], /unexpected argument extra/],
      [['audit', 'tail', '--bogus'], /unknown option --bogus/],
      [['audit', 'tail', '--limit', '0'], /--limit is a number from 1 to 100000, not "0"/],
      [['audit', 'tail', '--limit', '12x'], /--limit is a number/],
      [['audit', 'tail', '--limit', '100001'], /--limit is a number/],
      [['audit', 'tail', '--limit'], /--limit needs a value/],
      [['audit', 'tail', '--user', ''], /--user needs a name/],
      [['audit', 'tail', '--follow=yes'], /--follow takes no value/],
    ]) {
      const r = await runCli([args[0], '--config', TEAM, ...args.slice(1)]);
      assert.equal(r.code, EX_USAGE, `portcullis ${args.join(' ')}: ${described(r)}`);
      assert.match(r.stderr, message, described(r));
      assert.match(r.stderr, /Usage: portcullis audit tail/);
      assert.equal(r.stdout, '');
    }

    const open = await runCli(['audit', 'tail', '--config', OPEN]);
    assert.equal(open.code, EX_CONFIG, described(open));
    assert.match(open.stderr, /has no auth section: sign-in is off, so there is no database and no audit log/);
  });
});
