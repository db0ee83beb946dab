// mcp-remote, the stdio-to-remote bridge many desktop clients run, connects
// to a Portcullis that requires sign-in. It registers itself, "opens a
// browser" (a stand-in that writes the URL to a file), the test signs in and
// consents through the real pages with support/browser.mjs, and the browser
// delivers the code to mcp-remote's own callback server. The MCP side is
// driven over stdio with the official SDK's StdioClientTransport.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ROOT, within, firstText, freePort, SUITE_BOUND, WAIT_MS } from './support/mcp.mjs';
import { Browser, signInAndConsent } from './support/browser.mjs';
import { withOAuthServer, tempDir, eventually } from './support/oauth.mjs';

const PROXY = path.join(ROOT, 'tests/e2e/node_modules/mcp-remote/dist/proxy.js');
const REQUEST = { timeout: WAIT_MS };
// mcp-remote's callback server waits for the browser; this bounds a sign-in.
const SIGN_IN_BOUND_MS = 60_000;

/**
 * A place for mcp-remote to live: HOME and MCP_REMOTE_CONFIG_DIR inside a
 * temporary directory, and a "browser" that records the URLs it is asked to
 * open. mcp-remote opens URLs with the `open` package, which runs its bundled
 * xdg-open; without a desktop that runs $BROWSER. A fake xdg-open comes first
 * on PATH too, for an `open` that falls back to the system one.
 */
async function sandbox(dir) {
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const configDir = path.join(dir, 'mcp-auth');
  const urls = path.join(dir, 'browser-urls.txt');
  await fs.mkdir(home);
  await fs.mkdir(bin);
  const fake = path.join(bin, 'fake-browser');
  await fs.writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${urls}'\n`, { mode: 0o755 });
  await fs.symlink(fake, path.join(bin, 'xdg-open'));
  const env = {
    HOME: home,
    MCP_REMOTE_CONFIG_DIR: configDir,
    BROWSER: fake,
    PATH: [bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
  };
  const openedUrls = async () => (await fs.readFile(urls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { env, configDir, openedUrls };
}

/** Starts mcp-remote for `serverUrl` with its callback on 127.0.0.1:`port`; returns the SDK client side. */
function bridge(serverUrl, port, env) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PROXY, serverUrl, String(port), '--host', '127.0.0.1'],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'portcullis-e2e-mcp-remote', version: '1.0.0' });
  return { transport, client, stderr: () => stderr };
}

/** Closes the client (and so mcp-remote) and checks that the process is gone. */
async function shutDown(b) {
  const pid = b.transport.pid;
  await within(b.client.close(), 'mcp-remote to close');
  if (pid) {
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, `mcp-remote (pid ${pid}) to exit`, 10_000).catch((e) => {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      throw e;
    });
  }
}

describe('mcp-remote: sign-in and tools through the stdio bridge', SUITE_BOUND, () => {
  test('signs in through the real pages, lists and calls tools; a second run reuses the stored tokens', async () => {
    const dir = await tempDir('portcullis-mcp-remote-');
    try {
      const box = await sandbox(dir.path);
      await withOAuthServer({}, async (server) => {
        const port = await freePort();
        const redirectUri = `http://127.0.0.1:${port}/oauth/callback`;

        // First run: no stored client or tokens, so a sign-in.
        const first = bridge(server.url, port, box.env);
        try {
          const connected = first.client.connect(first.transport, REQUEST);
          connected.catch(() => {}); // observed below; avoid an unhandled rejection meanwhile
          const [authUrl] = await eventually(async () => {
            const opened = await box.openedUrls();
            return opened.length > 0 ? opened : undefined;
          }, 'mcp-remote to open the authorization URL', SIGN_IN_BOUND_MS).catch((e) => {
            throw new Error(`${e.message}\nmcp-remote said:\n${first.stderr()}`);
          });
          const url = new URL(authUrl);
          assert.equal(`${url.origin}${url.pathname}`, `${server.base}/oauth/authorize`);
          assert.equal(url.searchParams.get('redirect_uri'), redirectUri);
          assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
          assert.equal(new URL(url.searchParams.get('resource')).href, new URL(server.resource).href);
          assert.ok(first.stderr().includes(authUrl) || first.stderr().includes('Please authorize'),
            `mcp-remote printed the URL too:\n${first.stderr()}`);

          const browser = new Browser();
          const { callback, final } = await signInAndConsent(browser, url, {
            username: server.username, password: server.password, redirectUri, deliver: true,
          });
          assert.equal(callback.searchParams.get('iss'), server.issuer);
          assert.equal(final.status, 200, `mcp-remote's callback page: ${final.status} ${final.text.slice(0, 500)}`);

          await within(connected, 'mcp-remote to connect after the sign-in', SIGN_IN_BOUND_MS).catch((e) => {
            throw new Error(`${e.message}\nmcp-remote said:\n${first.stderr()}`);
          });
          const names = (await within(first.client.listTools({}, REQUEST), 'tools/list through mcp-remote')).tools.map((t) => t.name);
          for (const expected of ['demo_echo', 'demo_get_time', 'whoami']) assert.ok(names.includes(expected), `${expected} in ${names}`);
          const echo = await within(first.client.callTool({ name: 'demo_echo', arguments: { text: 'via the bridge' } }, undefined, REQUEST), 'demo_echo');
          assert.equal(firstText(echo), 'via the bridge');
          const who = await within(first.client.callTool({ name: 'whoami', arguments: {} }, undefined, REQUEST), 'whoami');
          assert.ok(JSON.stringify(who).includes(server.username), `whoami names ${server.username}: ${JSON.stringify(who)}`);
        } finally {
          await shutDown(first);
        }

        // mcp-remote kept its registration and tokens in the sandbox.
        const stored = [];
        for (const sub of await fs.readdir(box.configDir)) {
          for (const f of await fs.readdir(path.join(box.configDir, sub)).catch(() => [])) stored.push(f);
        }
        assert.ok(stored.some((f) => f.endsWith('_tokens.json')), `tokens stored in MCP_REMOTE_CONFIG_DIR: ${stored}`);
        assert.ok(stored.some((f) => f.endsWith('_client_info.json')), `client stored in MCP_REMOTE_CONFIG_DIR: ${stored}`);

        // Second run: the stored tokens are used, no browser is opened.
        const second = bridge(server.url, port, box.env);
        try {
          await within(second.client.connect(second.transport, REQUEST), 'mcp-remote to connect with stored tokens').catch((e) => {
            throw new Error(`${e.message}\nmcp-remote said:\n${second.stderr()}`);
          });
          const tools = await within(second.client.listTools({}, REQUEST), 'tools/list, second run');
          assert.ok(tools.tools.some((t) => t.name === 'demo_echo'));
          assert.equal((await box.openedUrls()).length, 1, 'no second sign-in');
        } finally {
          await shutDown(second);
        }
      });
    } finally {
      await dir.remove();
    }
  });
});
