// Linked accounts end to end: a gateway Portcullis whose mcp_upstream
// connector has auth.user_oauth, in front of an upstream Portcullis that is
// itself an OAuth authorization server. A gateway user links their upstream
// account through the real pages of both servers (sign-in at the gateway,
// sign-in and consent at the upstream, discovery and dynamic registration
// done by the gateway), then calls the upstream's tools as themselves; a
// user who has not linked is sent to the link page; short-lived upstream
// tokens are refreshed; a grant revoked at the upstream, an unlink on
// /accounts and `portcullis accounts revoke` each send the user back to
// linking; hostile requests to the pages are refused.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Browser, signInAndConsent } from './support/browser.mjs';
import {
  SUITE_BOUND, addUser, createToken, bearer, eventually, modernCall, firstText, withServer, serverCli, described,
} from './support/mcp.mjs';
import { holdOAuthServer, oauthConfig, tempDir, PASSWORD } from './support/oauth.mjs';

const UPSTREAM_USER = 'ursula';
const GATEWAY_USER = 'gina';
const OTHER_USER = 'gary';

/** tools/call of the gateway as `token`; the JSON-RPC response. */
async function callTool(gateway, token, name, args = {}, { capabilities } = {}) {
  const r = await modernCall(gateway.url, 'tools/call', { name, arguments: args }, { headers: bearer(token), capabilities });
  assert.equal(r.status, 200, `tools/call ${name}: HTTP ${r.status} ${JSON.stringify(r.response)}`);
  return r.response;
}

async function toolNames(gateway, token) {
  const r = await modernCall(gateway.url, 'tools/list', {}, { headers: bearer(token) });
  assert.equal(r.status, 200, `tools/list: ${JSON.stringify(r.response)}`);
  return r.response.result.tools.map((t) => t.name);
}

/**
 * Links `browser`'s gateway user to the upstream account: the link page's
 * Continue, then sign-in and consent at the upstream, then the callback back
 * at the gateway. Returns the page the browser ends on.
 */
async function link(browser, gateway, upstream, { signInAtGateway } = {}) {
  let page = await browser.navigate(`${gateway.origin}/accounts/link/up`);
  if (signInAtGateway) {
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /manage your linked accounts/);
    page = await browser.submit(page, { fill: signInAtGateway });
  }
  assert.equal(page.status, 200, `the link page: ${page.status}\n${page.text}`);
  assert.match(page.text, /Link your Upstream account/);
  const atUpstream = (url) => url.startsWith(`${upstream.base}/oauth/authorize?`);
  const continued = await browser.submit(page, { button: { name: 'decision', value: 'link' }, stopAt: atUpstream });
  assert.ok(continued.stoppedAt, `the browser is sent to the upstream's authorization endpoint: ${continued.status}\n${continued.text}`);
  const authorize = new URL(continued.stoppedAt);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorize.searchParams.get('resource'), upstream.endpoint);
  assert.equal(authorize.searchParams.get('redirect_uri'), `${gateway.origin}/accounts/callback`);
  const { final } = await signInAndConsent(browser, authorize.href, {
    username: UPSTREAM_USER, password: PASSWORD, redirectUri: `${gateway.origin}/accounts/callback`, deliver: true,
  });
  return final;
}

/**
 * The gateway's /accounts page, signing in first when the browser has no
 * session there (both servers run on 127.0.0.1, and browsers keep one
 * cookie per host whatever the port: signing in at the upstream replaces
 * the gateway's session cookie).
 */
async function accountsPage(browser, gateway) {
  let page = await browser.navigate(`${gateway.origin}/accounts`);
  if (browser.forms(page).some((f) => f.inputs.some((i) => i.name === 'password'))) {
    page = await browser.submit(page, { fill: { username: GATEWAY_USER, password: PASSWORD } });
  }
  assert.equal(page.status, 200, page.text);
  return page;
}

describe('linked accounts through mcp_upstream auth.user_oauth', SUITE_BOUND, () => {
  let upstream;
  let stopUpstream;
  let dir;
  before(async () => {
    // Upstream access tokens live 30 s: inside the gateway's one-minute
    // margin, so every call of a linked user refreshes (and rotates) first.
    ({ server: upstream, stop: stopUpstream } = await holdOAuthServer({ auth: { access_token_ttl: '30s' } }));
    await addUser({ env: { PORTCULLIS_DATA_DIR: upstream.dataDir }, config: upstream.configFile }, UPSTREAM_USER, { password: PASSWORD });
    dir = await tempDir('portcullis-linked-');
  });
  after(async () => {
    await stopUpstream?.();
    await dir?.remove();
  });

  async function withGateway(fn) {
    const config = oauthConfig();
    config.plugins.push({
      name: 'up',
      kind: 'connector',
      library: 'mcp_upstream',
      config: {
        url: upstream.endpoint,
        prefix: 'up_',
        include: ['demo_echo'],
        restart: { initial: '100ms', max: '500ms' },
        auth: { user_oauth: { title: 'Upstream' } },
      },
    });
    const file = path.join(dir.path, 'gateway.yaml');
    await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
    return withServer(file, fn);
  }

  test('a user links once through both servers\' pages and then calls as their upstream self', async () => {
    await withGateway(async (gateway) => {
      await addUser(gateway, GATEWAY_USER, { password: PASSWORD });
      await addUser(gateway, OTHER_USER, { password: PASSWORD });
      const gina = (await createToken(gateway, GATEWAY_USER)).token;
      const gary = (await createToken(gateway, OTHER_USER)).token;

      // Nobody linked: the connector has no token to list with.
      assert.deepEqual((await toolNames(gateway, gina)).filter((n) => n.startsWith('up_')), []);

      // /accounts wants a gateway sign-in first, then lists the account.
      const browser = new Browser();
      let page = await browser.navigate(`${gateway.origin}/accounts`);
      assert.equal(page.status, 200);
      page = await browser.submit(page, { fill: { username: GATEWAY_USER, password: PASSWORD } });
      assert.equal(page.status, 200, page.text);
      assert.equal(new URL(page.url).pathname, '/accounts');
      assert.match(page.text, /Upstream/);
      assert.match(page.text, /Not linked/);

      const linked = await link(browser, gateway, upstream);
      assert.equal(linked.status, 200, `the callback: ${linked.status}\n${linked.text}`);
      assert.match(linked.text, /Your Upstream account is linked/);
      assert.match((await accountsPage(browser, gateway)).text, /Linked since/);

      // The catalog appears once the connector reconnects with the new link.
      await eventually(async () => (await toolNames(gateway, gina)).includes('up_demo_echo'), 'up_demo_echo in the catalog');
      for (let i = 0; i < 3; i++) {
        const answer = await callTool(gateway, gina, 'up_demo_echo', { text: `hello ${i}` });
        assert.equal(answer.result?.isError ?? false, false, JSON.stringify(answer));
        assert.equal(firstText(answer.result), `hello ${i}`);
      }
      // The upstream saw its own user, never the gateway's token (its audit
      // log is written a moment after each call).
      let audit;
      await eventually(async () => {
        audit = await serverCli({ env: { PORTCULLIS_DATA_DIR: upstream.dataDir }, config: upstream.configFile },
          ['audit', 'tail', '--limit', '100']);
        return audit.code === 0 && (audit.stdout.match(/allow user=ursula .*tool=demo_echo/g) ?? []).length >= 3;
      }, 'three calls of ursula in the upstream\'s audit log');
      assert.doesNotMatch(audit.stdout, /user=gina/);

      // plugins list checks the connector without using anyone's link.
      const plugins = await serverCli(gateway, ['plugins', 'list']);
      assert.equal(plugins.code, 0, described(plugins));
      assert.match(plugins.stdout, /^up\s+connector\s.*\bok\b/m);

      const listed = await serverCli(gateway, ['accounts', 'list']);
      assert.equal(listed.code, 0, described(listed));
      assert.match(listed.stdout, /^USER\s+ACCOUNT\s+SCOPE/m);
      assert.match(listed.stdout, /^gina\s+up\s+\S*tools:call\S*\s.*\byes\s*$/m);

      // A user who has not linked is sent to the link page: a tool error
      // for a client that cannot open URLs...
      const unlinked = await callTool(gateway, gary, 'up_demo_echo', { text: 'x' });
      assert.equal(unlinked.result?.isError, true, JSON.stringify(unlinked));
      assert.match(firstText(unlinked.result), new RegExp(`Link your Upstream account first: open ${gateway.origin}/accounts/link/up`));
      // ...and URL elicitation for one that can.
      const elicit = await callTool(gateway, gary, 'up_demo_echo', { text: 'x' }, { capabilities: { elicitation: { url: {} } } });
      assert.equal(elicit.error?.code, -32042, JSON.stringify(elicit));
      assert.equal(elicit.error.data.elicitations[0].mode, 'url');
      assert.equal(elicit.error.data.elicitations[0].url, `${gateway.origin}/accounts/link/up`);

      // Unlinking on /accounts: the next call asks to link again.
      page = await accountsPage(browser, gateway);
      page = await browser.submit(page, { match: (f) => f.action.endsWith('/accounts/unlink'), button: { name: 'decision', value: 'unlink' } });
      assert.equal(page.status, 200, page.text);
      assert.match(page.text, /Not linked/);
      const afterUnlink = await callTool(gateway, gina, 'up_demo_echo', { text: 'x' });
      assert.match(firstText(afterUnlink.result), /Link your Upstream account first/);

      // Linked again.
      await accountsPage(browser, gateway);
      const relinked = await link(browser, gateway, upstream);
      assert.match(relinked.text, /is linked/);
      assert.equal(firstText((await callTool(gateway, gina, 'up_demo_echo', { text: 'again' })).result), 'again');

      // The upstream's operator revokes the gateway's client there: the
      // refresh is refused, the link removed, the user asked to link again.
      const clients = await serverCli({ env: { PORTCULLIS_DATA_DIR: upstream.dataDir }, config: upstream.configFile }, ['clients', 'list']);
      const clientId = clients.stdout.split('\n').find((l) => l.includes('Portcullis (Upstream)'))?.split(/\s+/)[0];
      assert.ok(clientId, `the gateway registered itself at the upstream:\n${clients.stdout}`);
      const revoked = await serverCli({ env: { PORTCULLIS_DATA_DIR: upstream.dataDir }, config: upstream.configFile }, ['clients', 'revoke', clientId]);
      assert.equal(revoked.code, 0, described(revoked));
      const afterRevoke = await callTool(gateway, gina, 'up_demo_echo', { text: 'x' });
      assert.match(firstText(afterRevoke.result), /Link your Upstream account first/, JSON.stringify(afterRevoke));
      assert.doesNotMatch((await serverCli(gateway, ['accounts', 'list'])).stdout, /^gina/m);
    });
  });

  test('the operator forgets a link with portcullis accounts revoke', async () => {
    await withGateway(async (gateway) => {
      await addUser(gateway, GATEWAY_USER, { password: PASSWORD });
      const gina = (await createToken(gateway, GATEWAY_USER)).token;
      const browser = new Browser();
      await link(browser, gateway, upstream, { signInAtGateway: { username: GATEWAY_USER, password: PASSWORD } });
      await eventually(async () => (await toolNames(gateway, gina)).includes('up_demo_echo'), 'up_demo_echo in the catalog');
      assert.equal(firstText((await callTool(gateway, gina, 'up_demo_echo', { text: 'ok' })).result), 'ok');

      const bad = await serverCli(gateway, ['accounts', 'revoke', 'up']);
      assert.equal(bad.code, 64, described(bad));
      const unknown = await serverCli(gateway, ['accounts', 'revoke', '--user', 'nobody', 'up']);
      assert.equal(unknown.code, 1, described(unknown));
      const done = await serverCli(gateway, ['accounts', 'revoke', '--user', GATEWAY_USER, 'up']);
      assert.equal(done.code, 0, described(done));
      assert.match(done.stdout, /forgot gina's tokens for up/);
      const again = await serverCli(gateway, ['accounts', 'revoke', '--user', GATEWAY_USER, 'up']);
      assert.equal(again.code, 1, described(again));
      assert.match(firstText((await callTool(gateway, gina, 'up_demo_echo', { text: 'x' })).result), /Link your Upstream account first/);
    });
  });

  test('hostile requests to the account pages are refused and link nothing', async () => {
    await withGateway(async (gateway) => {
      await addUser(gateway, GATEWAY_USER, { password: PASSWORD });
      await addUser(gateway, OTHER_USER, { password: PASSWORD });
      const gina = new Browser();
      let page = await gina.navigate(`${gateway.origin}/accounts`);
      page = await gina.submit(page, { fill: { username: GATEWAY_USER, password: PASSWORD } });
      assert.equal(page.status, 200);

      // An unknown or malformed account, a made-up state, a callback without
      // a session, an unlink without the CSRF token, another method.
      assert.equal((await gina.navigate(`${gateway.origin}/accounts/link/nope`)).status, 404);
      assert.equal((await gina.navigate(`${gateway.origin}/accounts/link/..%2Fup`)).status, 404);
      const madeUp = await gina.navigate(`${gateway.origin}/accounts/callback?state=forged&code=forged`);
      assert.equal(madeUp.status, 400);
      assert.match(madeUp.text, /unknown or was already used/);
      const stranger = new Browser();
      assert.equal((await stranger.navigate(`${gateway.origin}/accounts/callback?state=x&code=y`)).status, 400);
      assert.equal((await gina.request(`${gateway.origin}/accounts/callback?state=x&code=y`, { method: 'POST' })).status, 405);
      const noCsrf = await gina.request(`${gateway.origin}/accounts/unlink`, {
        method: 'POST', body: 'account=up', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, origin: gateway.origin,
      });
      assert.equal(noCsrf.status, 400);
      assert.equal((await gina.request(`${gateway.origin}/accounts`, { method: 'DELETE' })).status, 405);
      const error = await gina.navigate(`${gateway.origin}/accounts/callback?error=access_denied&error_description=%3Cscript%3E`);
      assert.equal(error.status, 400);
      assert.doesNotMatch(error.text, /<script>/);

      // A flow gina started, its consent page sent to gary: finished in
      // gary's browser (gary consenting at the upstream), it links nothing.
      page = await gina.navigate(`${gateway.origin}/accounts/link/up`);
      const started = await gina.submit(page, { stopAt: (u) => u.startsWith(upstream.base) });
      const gary = new Browser();
      page = await gary.navigate(`${gateway.origin}/accounts`);
      await gary.submit(page, { fill: { username: OTHER_USER, password: PASSWORD } });
      const { final: crossed } = await signInAndConsent(gary, started.stoppedAt, {
        username: UPSTREAM_USER, password: PASSWORD, redirectUri: `${gateway.origin}/accounts/callback`, deliver: true,
      });
      assert.equal(crossed.status, 400);
      assert.match(crossed.text, /started in another browser/);
      const listed = await serverCli(gateway, ['accounts', 'list']);
      assert.equal(listed.stdout.trim().split('\n').length, 1, listed.stdout);
    });
  });
});
