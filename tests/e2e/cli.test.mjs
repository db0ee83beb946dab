// The portcullis command line, run as a child process: version, help, usage
// errors, `config check` with its FILE:LINE: PATH: message reports, `serve`
// start-up failures (exit 78), the listen address overrides, the one-time
// setup link of the default configuration, the data directory, shutdown on
// signals and `plugins list`. The admin commands (users, tokens, clients,
// keys) have their own suite, admin-cli.test.mjs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  runCli, spawnServe, freePort, occupyPort, within, eventually, ROOT, SUITE_BOUND, boundedFetch,
} from './support/mcp.mjs';

const EX_USAGE = 64;
const EX_CONFIG = 78;

let tmp;
before(async () => { tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'portcullis-cli-')); });
after(async () => { if (tmp) await fs.rm(tmp, { recursive: true, force: true }); });

/** Writes a temporary YAML file and returns its absolute path. */
async function yamlFile(name, lines) {
  const file = path.join(tmp, name);
  await fs.writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** stderr lines of the form FILE:LINE: PATH: message, for `file`. */
function reported(stderr, file) {
  return stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
}

/**
 * Waits for a `serve` that must refuse to start; stops it (and fails) when
 * it starts after all. Returns {code, signal}.
 */
async function refusedStart(s) {
  const { url, exited } = await s.ready;
  if (url) {
    await s.stop();
    assert.fail(`the server started at ${url} although it must not:\n${s.stdout()}${s.stderr()}`);
  }
  assert.equal(exited.signal, null, `killed by ${exited.signal}:\n${s.stderr()}`);
  assert.doesNotMatch(s.stdout(), /serving MCP/);
  return exited;
}

/**
 * Waits for a `serve` that must start, runs `fn(url)`, then stops it and
 * checks the clean exit; a server left running by a failure is stopped too.
 */
async function whileServing(s, fn) {
  const { url, exited } = await s.ready;
  assert.ok(url, `did not start: ${JSON.stringify(exited)}\n${s.stderr()}`);
  try {
    await fn(url);
  } catch (e) {
    await s.stop().catch(() => {});
    throw e;
  }
  assert.deepEqual(await s.stop(), { code: 0, signal: null }, s.stderr());
}

function assertNoCrash(r, what) {
  assert.equal(r.signal, null, `${what} was killed by ${r.signal}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /terminate called|Segmentation|Aborted|core dumped|AddressSanitizer/, r.stderr);
}

describe('portcullis version', SUITE_BOUND, () => {
  test('prints the version, the plugin ABI and the protocol revisions', async () => {
    const r = await runCli(['version']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /^portcullis \d+\.\d+\.\d+\S*$/);
    assert.equal(lines[1], 'plugin ABI 1.3');
    assert.equal(lines[2], 'protocols 2026-07-28 2025-11-25 2025-06-18 2025-03-26 2024-11-05');
  });

  test('--version is the same as version', async () => {
    const a = await runCli(['version']);
    const b = await runCli(['--version']);
    assert.equal(b.code, 0);
    assert.equal(b.stdout, a.stdout);
  });
});

describe('help and usage errors', SUITE_BOUND, () => {
  for (const [command, usage] of [
    ['serve', 'Usage: portcullis serve'],
    ['config', 'Usage: portcullis config check FILE'],
    ['plugins', 'Usage: portcullis plugins list'],
    ['version', 'Usage: portcullis version'],
    ['users', 'Usage: portcullis users <command>'],
    ['tokens', 'Usage: portcullis tokens <command>'],
    ['clients', 'Usage: portcullis clients <command>'],
    ['keys', 'Usage: portcullis keys <command>'],
  ]) {
    test(`${command} --help exits 0 and prints its usage`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await runCli([command, flag]);
        assert.equal(r.code, 0, `${command} ${flag}: ${r.stderr}`);
        assert.ok(r.stdout.startsWith(usage), `${command} ${flag} printed:\n${r.stdout}`);
        assert.equal(r.stderr, '');
      }
    });
  }

  test('--help on its own lists every command', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['serve', 'config check', 'plugins list', 'version', 'users add', 'tokens create', 'clients list', 'keys rotate']) {
      assert.ok(r.stdout.includes(c), `${c} in:\n${r.stdout}`);
    }
  });

  test('no command prints the usage and exits 64', async () => {
    const r = await runCli([]);
    assert.equal(r.code, EX_USAGE);
    assert.match(r.stdout + r.stderr, /Usage: portcullis <command>/);
  });

  test('an unknown command exits 64 and names it', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, EX_USAGE);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /Usage: portcullis <command>/);
    assert.equal(r.stdout, '');
  });

  test('an unknown option or a missing value exits 64', async () => {
    for (const args of [['serve', '--bogus'], ['serve', '--config'], ['plugins', 'list', '--nope'], ['config', 'check'], ['plugins']]) {
      const r = await runCli(args);
      assert.equal(r.code, EX_USAGE, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /Usage: portcullis/, args.join(' '));
    }
  });

  test('a malformed --listen value exits 64', async () => {
    const r = await runCli(['serve', '--config', 'config/portcullis.yaml', '--listen', 'nonsense']);
    assert.equal(r.code, EX_USAGE);
    assert.match(r.stderr, /HOST:PORT/);
  });
});

describe('portcullis config check', SUITE_BOUND, () => {
  // The default declares the built-in identity plugin and demo; open.yaml demo and conformance.
  for (const [file, plugins] of [['config/portcullis.yaml', 2], ['config/examples/open.yaml', 2]]) {
    test(`${file} is valid`, async () => {
      const r = await runCli(['config', 'check', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${file}: OK (${plugins} plugin${plugins === 1 ? '' : 's'})\n`);
    });
  }

  test('an unknown key and a wrong type are each reported as FILE:LINE: PATH: message', async () => {
    const file = await yamlFile('two-mistakes.yaml', [
      '# Two mistakes: a wrong type and an unknown key.', // 1
      'server:', //                                          2
      '  listen: 127.0.0.1:8080', //                         3
      '  threads: lots', //                                  4  wrong type
      '  mcp_path: /mcp', //                                 5
      '', //                                                 6
      'colour: blue', //                                     7  unknown key
      'plugins:', //                                         8
      '  - name: demo', //                                   9
      '    kind: primitives', //                            10
      '    library: demo', //                               11
    ]);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    assertNoCrash(r, 'config check');
    const lines = reported(r.stderr, file);
    assert.equal(lines.length, 2, `one line per problem:\n${r.stderr}`);
    assert.ok(lines.some((l) => /^.*:4: server\.threads: .*integer/.test(l)), `server.threads on line 4:\n${r.stderr}`);
    assert.ok(lines.some((l) => /^.*:7: colour: .*unknown key/.test(l)), `colour on line 7:\n${r.stderr}`);
  });

  test('an unknown key deep in the file is reported at its own line', async () => {
    const file = await yamlFile('nested-unknown.yaml', [
      'server:', //                 1
      '  listen: 127.0.0.1:8080', // 2
      'sessions:', //                3
      '  idle_timeout: 10m', //      4
      '  max_sesions: 5', //         5  misspelt
    ]);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG);
    assert.deepEqual(reported(r.stderr, file), [`${file}:5: sessions.max_sesions: unknown key`]);
  });

  test('a duplicate key is reported at its second occurrence', async () => {
    const file = await yamlFile('duplicate.yaml', [
      'server:', //                  1
      '  listen: 127.0.0.1:8080', //  2
      '  mcp_path: /mcp', //          3
      '  listen: 127.0.0.1:9090', //  4  again
    ]);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    assert.deepEqual(reported(r.stderr, file), [`${file}:4: server.listen: duplicate key`]);
  });

  test('a YAML syntax error is reported as FILE:LINE: message', async () => {
    const file = await yamlFile('syntax.yaml', [
      'server:', //                 1
      '  listen: 127.0.0.1:8080', // 2
      'plugins:', //                 3
      '  - name: demo', //           4
      '    kind: [primitives', //    5  unclosed flow sequence
      '    library: demo', //        6
    ]);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    assertNoCrash(r, 'config check');
    const lines = reported(r.stderr, file);
    assert.equal(lines.length, 1, r.stderr);
    const m = /^(.*):(\d+): (.*)$/.exec(lines[0]);
    assert.ok(m, lines[0]);
        const line = Number(m[2]);
    assert.ok(line === 5 || line === 6, `the error points at the broken entry (line 5, or 6 where the parser notices it), got ${line}: ${lines[0]}`);
    assert.match(m[3], /YAML syntax error/);
  });

  test('a tab-indented YAML file is a syntax error with a line number', async () => {
    const file = path.join(tmp, 'tabs.yaml');
    await fs.writeFile(file, 'server:\n  listen: 127.0.0.1:8080\n\tmcp_path: /mcp\n');
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    const lines = reported(r.stderr, file);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^.*:3: .*YAML syntax error/);
  });

  test("problems in a plugin's own config are reported at their own lines and paths", async () => {
    const file = await yamlFile('plugin-config.yaml', [
      'server:', //                  1
      '  listen: 127.0.0.1:8080', //  2
      'plugins:', //                  3
      '  - name: demo', //            4
      '    kind: primitives', //      5
      '    library: demo', //         6
      '    config:', //               7
      '      greeting: 5', //         8  wrong type (the schema wants a string)
      '      colour: blue', //        9  unknown key
    ]);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    const lines = reported(r.stderr, file);
    assert.equal(lines.length, 2, `one line per problem:\n${r.stderr}`);
    assert.ok(lines.some((l) => /^.*:8: plugins\[0\]\.config\.greeting: .*string/.test(l)), `greeting on line 8:\n${r.stderr}`);
    assert.ok(lines.some((l) => /^.*:9: plugins\[0\]\.config\.colour: plugin "demo": unknown key$/.test(l)), `colour on line 9:\n${r.stderr}`);
  });

  test('an unset ${VARIABLE} is reported at its line; a default or a set variable is accepted', async () => {
    const file = await yamlFile('env.yaml', [
      'server:', //                               1
      '  listen: ${PC_E2E_UNSET_LISTEN}', //      2
      '  mcp_path: ${PC_E2E_UNSET_PATH:-/mcp}', // 3
    ]);
    const unset = { PC_E2E_UNSET_LISTEN: '', PC_E2E_UNSET_PATH: '' };
    const r = await runCli(['config', 'check', file], { env: unset });
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    assert.deepEqual(reported(r.stderr, file), [`${file}:2: server.listen: environment variable PC_E2E_UNSET_LISTEN is not set`]);
    const ok = await runCli(['config', 'check', file], { env: { ...unset, PC_E2E_UNSET_LISTEN: '127.0.0.1:9' } });
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('a missing plugin library is reported with the plugin path and line', async () => {
    const file = await yamlFile('missing-library.yaml', [
      'plugins:', //                    1
      '  - name: ghost', //             2
      '    kind: primitives', //        3
      '    library: no_such_plugin', // 4
    ]);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    const lines = reported(r.stderr, file);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^.*:(2|4): plugins\[0\].*no_such_plugin.*not found/);
  });

  test('a file that does not exist exits 78 and says so', async () => {
    const file = path.join(tmp, 'absent.yaml');
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, EX_CONFIG);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*cannot read`));
  });
});

describe('portcullis serve', SUITE_BOUND, () => {
  test('a bad configuration exits 78 without a crash and says why', async () => {
    const file = await yamlFile('serve-bad.yaml', [
      'server:', //                 1
      '  listen: 127.0.0.1:0', //   2
      '  threads: lots', //         3
      'colour: blue', //            4
    ]);
    const s = spawnServe(['--config', file]);
    const exited = await refusedStart(s);
    assert.equal(exited.code, EX_CONFIG, s.stderr());
    assert.match(s.stderr(), new RegExp(`:3: server\\.threads: `));
    assert.match(s.stderr(), new RegExp(`:4: colour: unknown key`));
    assert.doesNotMatch(s.stdout(), /serving MCP/);
  });

  test('a plugin that cannot be loaded exits 78 with its path and line', async () => {
    const file = await yamlFile('serve-ghost.yaml', [
      'server:', //                     1
      '  listen: 127.0.0.1:0', //       2
      'plugins:', //                    3
      '  - name: ghost', //             4
      '    kind: primitives', //        5
      '    library: no_such_plugin', // 6
    ]);
    const s = spawnServe(['--config', file]);
    const exited = await refusedStart(s);
    assert.equal(exited.code, EX_CONFIG, s.stderr());
    assert.match(s.stderr(), /:6: plugins\[0\]\.library: .*"ghost".*no_such_plugin.*not found/);
  });

  test("a plugin config error is reported at the key's line when serving", async () => {
    const file = await yamlFile('serve-plugin-config.yaml', [
      'server:', //                  1
      '  listen: 127.0.0.1:0', //    2
      'plugins:', //                 3
      '  - name: demo', //           4
      '    kind: primitives', //     5
      '    library: demo', //        6
      '    config:', //              7
      '      colour: blue', //       8
    ]);
    const s = spawnServe(['--config', file]);
    const exited = await refusedStart(s);
    assert.equal(exited.code, EX_CONFIG, s.stderr());
    assert.match(s.stderr(), /:8: plugins\[0\]\.config\.colour: plugin "demo": unknown key/);
  });

  test('a configuration file that does not exist exits 78', async () => {
    const s = spawnServe(['--config', path.join(tmp, 'nowhere.yaml')]);
    const exited = await refusedStart(s);
    assert.equal(exited.code, EX_CONFIG);
    assert.match(s.stderr(), /nowhere\.yaml.*cannot read/);
  });

  test('--listen overrides server.listen', async () => {
    const port = await freePort();
    const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', `127.0.0.1:${port}`], { env: { PORTCULLIS_LISTEN: '' } });
    await whileServing(s, async (url) => {
      assert.equal(url, `http://127.0.0.1:${port}/mcp`);
      const health = await within(boundedFetch(`http://127.0.0.1:${port}/healthz`), '/healthz');
      assert.equal(health.status, 200);
      await health.arrayBuffer();
    });
  });

  test('PORTCULLIS_LISTEN overrides server.listen', async () => {
    const port = await freePort();
    const s = spawnServe(['--config', 'config/portcullis.yaml'], { env: { PORTCULLIS_LISTEN: `127.0.0.1:${port}` } });
    await whileServing(s, async (url) => {
      assert.equal(url, `http://127.0.0.1:${port}/mcp`);
      const health = await within(boundedFetch(`http://127.0.0.1:${port}/healthz`), '/healthz');
      assert.equal(health.status, 200);
      await health.arrayBuffer();
    });
  });

  test('--listen wins over PORTCULLIS_LISTEN', async () => {
    const envPort = await freePort();
    const optionPort = await freePort();
    const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', `127.0.0.1:${optionPort}`],
      { env: { PORTCULLIS_LISTEN: `127.0.0.1:${envPort}` } });
    await whileServing(s, async (url) => {
      assert.equal(url, `http://127.0.0.1:${optionPort}/mcp`);
      await assert.rejects(fetch(`http://127.0.0.1:${envPort}/healthz`), 'nothing listens on the environment port');
    });
  });

  test('a malformed PORTCULLIS_LISTEN is rejected even when --listen is absent', async () => {
    const s = spawnServe(['--config', 'config/portcullis.yaml'], { env: { PORTCULLIS_LISTEN: 'no-port-here' } });
    const exited = await refusedStart(s);
    assert.equal(exited.code, EX_USAGE);
    assert.match(s.stderr(), /no-port-here/);
  });

  test('a port another program holds makes serve exit 78 with a clear message', async () => {
    const held = await occupyPort();
    try {
      const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', `127.0.0.1:${held.port}`]);
      const exited = await refusedStart(s);
      assert.equal(exited.code, EX_CONFIG, s.stderr());
      assert.match(s.stderr(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${held.port}: .*in use`, 'i'));
    } finally {
      await held.close();
    }
  });

  test('a port another portcullis serves makes a second serve exit 78', async () => {
    const first = spawnServe(['--config', 'config/portcullis.yaml', '--listen', '127.0.0.1:0']);
    await whileServing(first, async (url) => {
      const port = new URL(url).port;
      const second = spawnServe(['--config', 'config/portcullis.yaml', '--listen', `127.0.0.1:${port}`]);
      const exited = await refusedStart(second);
      assert.equal(exited.code, EX_CONFIG, second.stderr());
      assert.match(second.stderr(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`, 'i'));
    });
  });

  const SETUP_INTRO = 'No user can sign in yet. Create the first administrator (one-time link, 24 hours):';
  const SETUP_CLI = 'or run: portcullis users add NAME --role admin --password-stdin';

  test('the default configuration without users prints a one-time /setup link after the first line', async () => {
    const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', '127.0.0.1:0']);
    await whileServing(s, async (url) => {
      await eventually(() => s.stdout().includes(SETUP_CLI), 'the setup link on standard output');
      const lines = s.stdout().trimEnd().split('\n');
      assert.equal(lines.length, 4, s.stdout());
      assert.match(lines[0], /^Portcullis \S+ serving MCP at /);
      assert.equal(lines[0].split(' ').pop(), url);
      assert.equal(lines[1], SETUP_INTRO);
      const origin = new URL(url).origin.replace(/[.]/g, '\\.');
      assert.match(lines[2], new RegExp(`^  ${origin}/setup\\?token=[A-Za-z0-9_-]{16,}$`), s.stdout());
      assert.equal(lines[3], SETUP_CLI);
      assert.doesNotMatch(s.stderr(), /setup\?token=/, 'the link goes to standard output only');
    });
  });

  test('each start without users prints a new link; once a user exists none is printed', async () => {
    const dataDir = await fs.mkdtemp(path.join(tmp, 'data-'));
    const env = { PORTCULLIS_DATA_DIR: dataDir };
    const links = [];
    for (let i = 0; i < 2; i++) {
      const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', '127.0.0.1:0'], { env });
      await whileServing(s, async () => {
        await eventually(() => s.stdout().includes(SETUP_CLI), 'the setup link on standard output');
      });
      links.push(/\/setup\?token=(\S+)/.exec(s.stdout())?.[1]);
    }
    assert.ok(links[0] && links[1], `two links: ${links}`);
    assert.notEqual(links[0], links[1], 'a new link at each start');

    const add = await runCli(['users', 'add', 'alice', '--config', 'config/portcullis.yaml'], { env });
    assert.equal(add.code, 0, add.stderr);
    const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', '127.0.0.1:0'], { env });
    await whileServing(s, async () => {});
    // Stopped: its standard output is complete.
    assert.equal(s.stdout().trimEnd().split('\n').length, 1, s.stdout());
    assert.doesNotMatch(s.stdout(), /setup|No user/);
  });

  test('config/examples/open.yaml has no sign-in and prints no setup link', async () => {
    const s = spawnServe(['--config', 'config/examples/open.yaml', '--listen', '127.0.0.1:0']);
    await whileServing(s, async () => {});
    assert.match(s.stdout(), /^Portcullis \S+ serving MCP at http:\/\/127\.0\.0\.1:\d+\/mcp\n$/);
  });

  test('the database and the secret key are kept in PORTCULLIS_DATA_DIR', async () => {
    const dataDir = await fs.mkdtemp(path.join(tmp, 'data-'));
    const s = spawnServe(['--config', 'config/portcullis.yaml', '--listen', '127.0.0.1:0'], { env: { PORTCULLIS_DATA_DIR: dataDir } });
    assert.equal(s.dataDir, dataDir);
    await whileServing(s, async () => {});
    const files = await fs.readdir(dataDir);
    for (const f of ['portcullis.db', 'secret.key']) assert.ok(files.includes(f), `${f} in ${dataDir}: ${files}`);
    // The secret key is readable by its owner only.
    const mode = (await fs.stat(path.join(dataDir, 'secret.key'))).mode & 0o777;
    assert.equal(mode & 0o077, 0, `secret.key mode ${mode.toString(8)}`);
    // And what serve made, the CLI finds: the server's signing key.
    const keys = await runCli(['keys', 'list', '--config', 'config/portcullis.yaml'], { env: { PORTCULLIS_DATA_DIR: dataDir } });
    assert.equal(keys.code, 0, keys.stderr);
    assert.equal(keys.stdout.trimEnd().split('\n').length, 2, keys.stdout);
  });

  for (const signal of ['SIGTERM', 'SIGINT']) {
    test(`${signal} stops the server cleanly (exit code 0)`, async () => {
      const s = spawnServe(['--config', 'config/examples/open.yaml', '--listen', '127.0.0.1:0']);
      const { url } = await s.ready;
      assert.ok(url, s.stderr());
      try {
        const res = await within(boundedFetch(new URL('/healthz', url)), '/healthz');
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        s.child.kill(signal);
        const exited = await s.exit();
        assert.deepEqual(exited, { code: 0, signal: null }, s.stderr());
        assertNoCrash({ signal: exited.signal, stderr: s.stderr() }, 'serve');
      } finally {
        await s.stop().catch(() => {});
      }
    });
  }

  test('SIGTERM stops the server cleanly while clients hold open streams', async () => {
    const s = spawnServe(['--config', 'config/examples/open.yaml', '--listen', '127.0.0.1:0']);
    const { url } = await s.ready;
    assert.ok(url, s.stderr());
    const controller = new AbortController();
    try {
      // A legacy SSE stream and a 2025-11-25 session with its GET stream.
      const sse = await within(fetch(new URL('/sse', url), { headers: { Accept: 'text/event-stream' }, signal: controller.signal }), 'GET /sse');
      assert.equal(sse.status, 200);
      const init = await within(boundedFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }),
      }), 'initialize');
      const session = init.headers.get('mcp-session-id');
      await init.arrayBuffer();
      const headers = { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-11-25' };
      const note = await boundedFetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
      await note.arrayBuffer();
      const get = await within(fetch(url, { headers: { ...headers, Accept: 'text/event-stream' }, signal: controller.signal }), 'GET stream');
      assert.equal(get.status, 200);

      s.child.kill('SIGTERM');
      const exited = await s.exit();
      assert.deepEqual(exited, { code: 0, signal: null }, s.stderr());
    } finally {
      controller.abort();
      await s.stop().catch(() => {});
    }
  });
});

describe('portcullis plugins list', SUITE_BOUND, () => {
  test('lists demo and conformance with ABI 1.3 and state ok', async () => {
    const r = await runCli(['plugins', 'list', '--config', 'config/examples/open.yaml']);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header, /^NAME\s+KIND\s+LIBRARY\s+ABI\s+HEALTH\s+STATE$/);
    const table = rows.map((row) => row.trim().split(/\s+/));
    assert.equal(table.length, 2, r.stdout);
    const byName = Object.fromEntries(table.map((cols) => [cols[0], cols]));
    for (const name of ['demo', 'conformance']) {
      const cols = byName[name];
      assert.ok(cols, `${name} is listed:\n${r.stdout}`);
      assert.equal(cols.length, 6, `NAME KIND LIBRARY ABI HEALTH STATE for ${name}: ${cols}`);
      const [, kind, library, abi, health, state] = cols;
      assert.equal(health, '-', 'primitives plugins report no health');
      assert.equal(kind, 'primitives');
      assert.ok(path.isAbsolute(library) && library.endsWith(`${name}.so`), `resolved library path for ${name}: ${library}`);
      assert.equal(abi, '1.3');
      assert.equal(state, 'ok');
    }
  });

  test('a plugin that cannot be loaded is listed with the reason and exits 78', async () => {
    const file = await yamlFile('plugins-ghost.yaml', [
      'plugins:',
      '  - name: demo',
      '    kind: primitives',
      '    library: demo',
      '  - name: ghost',
      '    kind: primitives',
      '    library: no_such_plugin',
    ]);
    const r = await runCli(['plugins', 'list', '--config', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    assert.match(r.stdout, /^demo\s+primitives\s+\S+demo\.so\s+\d+\.\d+\s+-\s+ok$/m);
    assert.match(r.stdout, /^ghost\s+primitives\s+no_such_plugin\s+-\s+-\s+error: .*not found/m);
  });

  test("a plugin whose config is wrong is listed with the reason and exits 78", async () => {
    const file = await yamlFile('plugins-bad-config.yaml', [
      'plugins:',
      '  - name: demo',
      '    kind: primitives',
      '    library: demo',
      '    config:',
      '      colour: blue',
    ]);
    const r = await runCli(['plugins', 'list', '--config', file]);
    assert.equal(r.code, EX_CONFIG, r.stdout + r.stderr);
    assert.match(r.stdout, /^demo\s+primitives\s+\S+demo\.so\s+\d+\.\d+\s+-\s+error: plugins\[0\]\.config\.colour: plugin "demo": unknown key$/m);
  });

  test('the default configuration lists the builtin identity plugin and demo', async () => {
    const r = await runCli(['plugins', 'list', '--config', 'config/portcullis.yaml']);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header, /^NAME\s+KIND\s+LIBRARY\s+ABI\s+HEALTH\s+STATE$/);
    assert.equal(rows.length, 2, r.stdout);
    assert.match(rows[0], /^builtin\s+identity\s+\/\S+\/builtin\.so\s+\d+\.\d+\s+-\s+ok$/);
    assert.match(rows[1], /^demo\s+primitives\s+\/\S+\/demo\.so\s+\d+\.\d+\s+-\s+ok$/);
  });

  test('without --config it uses config/portcullis.yaml from the working directory', async () => {
    const r = await runCli(['plugins', 'list'], { cwd: ROOT });
    assert.equal(r.code, 0, r.stderr);
    const explicit = await runCli(['plugins', 'list', '--config', 'config/portcullis.yaml'], { cwd: ROOT });
    assert.equal(r.stdout, explicit.stdout);
    assert.match(r.stdout, /^builtin\s+identity\s+\S+\s+\d+\.\d+\s+-\s+ok$/m);
    assert.match(r.stdout, /^demo\s+primitives\s+\S+\s+\d+\.\d+\s+-\s+ok$/m);
    assert.doesNotMatch(r.stdout, /^conformance/m);
  });
});
