// The official MCP conformance suite against config/examples/open.yaml, for
// each protocol revision the issue names. Every scored scenario must pass;
// there is no expected-failures list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, ROOT } from './support/server.mjs';

const CLI = path.join(ROOT, 'tests/e2e/node_modules/@modelcontextprotocol/conformance/dist/index.js');

let server;
before(async () => { server = await startServer({ config: 'config/examples/open.yaml' }); });
after(async () => { await server?.stop(); });

function conformance(args) {
  return new Promise((resolve) => {
    // The DNS-rebinding scenario needs a loopback host name in the URL.
    const url = `http://localhost:${server.port}/mcp`;
    const child = spawn(process.execPath, [CLI, 'server', '--url', url, ...args], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function summary(out) {
  return out.split('\n').filter((l) => /^(✓|✗|Total|Not scored|  [✓✗])/.test(l)).join('\n');
}

for (const [name, args] of [
  ['2026-07-28', ['--requirements', '2026-07-28']],
  ['2025-11-25', ['--requirements', '2025-11-25']],
  // The suite has no frozen requirement set for 2025-06-18; its active
  // scenarios filtered to that revision are the equivalent.
  ['2025-06-18', ['--spec-version', '2025-06-18']],
]) {
  test(`conformance ${name}`, async () => {
    const { code, out } = await conformance(args);
    console.log(summary(out));
    assert.equal(code, 0, `conformance ${name} failed:\n${out.slice(-6000)}`);
  });
}
