// The official MCP conformance suite against config/examples/open.yaml, for
// each protocol revision the issue names, and again through a gateway on
// config/examples/passthrough.yaml whose only plugin is the mcp_upstream
// connector in front of that server (pass-through). Every scored scenario
// must pass; there is no expected-failures list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, ROOT } from './support/server.mjs';

const CLI = path.join(ROOT, 'tests/e2e/node_modules/@modelcontextprotocol/conformance/dist/index.js');

let server;
let gateway;         // speaks 2026-07-28 to the upstream (protocol: auto)
let sessionGateway;  // holds a 2025-11-25 session with it
before(async () => {
  server = await startServer({ config: 'config/examples/open.yaml' });
  const upstream = { PORTCULLIS_UPSTREAM_URL: `http://127.0.0.1:${server.port}/mcp` };
  gateway = await startServer({ config: 'config/examples/passthrough.yaml', env: upstream });
  sessionGateway = await startServer({
    config: 'config/examples/passthrough.yaml',
    env: { ...upstream, PORTCULLIS_UPSTREAM_PROTOCOL: '2025-11-25' },
  });
});
after(async () => {
  await sessionGateway?.stop();
  await gateway?.stop();
  await server?.stop();
});

function conformance(args, target = server) {
  return new Promise((resolve) => {
    // The DNS-rebinding scenario needs a loopback host name in the URL.
    const url = `http://localhost:${target.port}/mcp`;
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

// The same suite through the connector: what the upstream serves must reach
// the client intact (tools, resources, prompts, completion, progress,
// logging, cancellation, sampling and elicitation, input_required rounds).
// A 2025 session upstream serves a 2025 client fully; a 2026-07-28 client
// behind it is bridged by the gateway (see docs/connectors.md).
for (const [revision, through, label] of [
  ['2026-07-28', () => gateway, 'a 2026-07-28 upstream'],
  ['2025-11-25', () => gateway, 'a 2026-07-28 upstream'],
  ['2025-11-25', () => sessionGateway, 'a 2025-11-25 session upstream'],
]) {
  test(`conformance ${revision} through mcp_upstream to ${label} (passthrough.yaml)`, async () => {
    const target = through();
    const { code, out } = await conformance(['--requirements', revision], target);
    console.log(summary(out));
    assert.equal(code, 0, `conformance ${revision} through the connector failed:\n${out.slice(-6000)}\n${target.output().slice(-3000)}`);
  });
}
