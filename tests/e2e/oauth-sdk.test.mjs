// The official TypeScript SDK client (@modelcontextprotocol/sdk) signs in to
// a Portcullis that requires it, through the SDK's own OAuth flow
// (OAuthClientProvider + auth()): discovery, registration (dynamic, or a
// client ID metadata document served over https), authorization through the
// real sign-in and consent pages, token exchange, tools, refresh and RFC 7009
// revocation.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { within, firstText, freePort, SUITE_BOUND, WAIT_MS } from './support/mcp.mjs';
import { Browser, signInAndConsent } from './support/browser.mjs';
import {
  withOAuthServer, tempDir, devCert, startHttpsServer, revoke, tokenRequest, mcpWithToken, refusedSoon, decodeJwt, ALL_SCOPES,
} from './support/oauth.mjs';

const REQUEST = { timeout: WAIT_MS };

/** An OAuthClientProvider that keeps everything in memory, as the SDK's examples do. */
class MemoryProvider {
  constructor({ redirectUrl, clientMetadataUrl, name }) {
    this._redirectUrl = redirectUrl;
    if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
    this._metadata = {
      client_name: name,
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
    this.authorizationUrls = [];
    this.states = [];
    this.saved = { tokens: [], clients: [] };
  }

  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() { return this._metadata; }
  state() {
    const s = `state-${this.states.length}-${Math.random().toString(36).slice(2)}`;
    this.states.push(s);
    return s;
  }
  clientInformation() { return this._client; }
  saveClientInformation(info) { this._client = info; this.saved.clients.push(info); }
  tokens() { return this._tokens; }
  saveTokens(tokens) { this._tokens = tokens; this.saved.tokens.push(tokens); }
  redirectToAuthorization(url) { this.authorizationUrls.push(new URL(url)); }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() {
    if (!this._verifier) throw new Error('no code verifier saved');
    return this._verifier;
  }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this._client = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
  }
}

/** A fetch that records every request the SDK makes (MCP and OAuth alike). */
function recordingFetch() {
  const requests = [];
  const wrapped = async (url, init = {}) => {
    const entry = { url: String(url), method: init.method ?? 'GET', body: typeof init.body === 'string' ? init.body : init.body?.toString() };
    requests.push(entry);
    const res = await fetch(url, init);
    entry.status = res.status;
    return res;
  };
  return { fetch: wrapped, requests };
}

const formOf = (entry) => Object.fromEntries(new URLSearchParams(entry.body ?? ''));

/**
 * The whole journey with one provider: the first connection is refused and
 * yields an authorization URL; the browser signs in and consents; the code is
 * exchanged; a new connection lists and calls tools; the SDK refreshes on a
 * 401 and on request; revocation ends the access token and the refresh token.
 */
async function journey(server, provider, recorder, { expectRegistration }) {
  const url = new URL(server.url);
  const transportOptions = { authProvider: provider, fetch: recorder.fetch };

  // 1. Unauthenticated: the SDK discovers, registers (or not), and asks for a redirect.
  const first = new Client({ name: 'portcullis-e2e-oauth-sdk', version: '1.0.0' });
  await assert.rejects(
    within(first.connect(new StreamableHTTPClientTransport(url, transportOptions), REQUEST), 'the first connection attempt'),
    (e) => e instanceof UnauthorizedError,
    'the first connection needs authorization',
  );
  assert.equal(provider.authorizationUrls.length, 1, 'the SDK sent the user to authorize once');
  const authUrl = provider.authorizationUrls[0];
  const seen = recorder.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`);
  assert.ok(seen.includes('GET /.well-known/oauth-protected-resource/mcp'), `protected resource metadata was read: ${seen}`);
  assert.ok(seen.includes('GET /.well-known/oauth-authorization-server'), `authorization server metadata was read: ${seen}`);
  assert.equal(seen.includes('POST /oauth/register'), expectRegistration, `dynamic registration ${expectRegistration ? 'used' : 'not used'}: ${seen}`);

  const client = provider.clientInformation();
  if (provider.clientMetadataUrl) assert.equal(client.client_id, provider.clientMetadataUrl, 'the client ID is the metadata document URL');
  else assert.match(client.client_id, /^pc_/, 'a registered client ID');

  assert.equal(`${authUrl.origin}${authUrl.pathname}`, `${server.base}/oauth/authorize`);
  const q = authUrl.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('client_id'), client.client_id);
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(q.get('redirect_uri'), provider.redirectUrl);
  assert.equal(q.get('resource'), server.resource, 'RFC 8707 resource is the MCP endpoint');
  assert.deepEqual(q.get('scope').split(' ').sort(), [...ALL_SCOPES].sort(), 'the scopes the resource advertises');
  assert.equal(q.get('state'), provider.states.at(-1));

  // 2. A person signs in and consents in a browser; the redirect carries the code.
  const browser = new Browser();
  const { callback, pages } = await signInAndConsent(browser, authUrl, {
    username: server.username, password: server.password, redirectUri: provider.redirectUrl,
  });
  assert.ok(pages[0].text.includes(provider.clientMetadata.client_name), 'the sign-in page names the client');
  assert.equal(callback.searchParams.get('state'), q.get('state'), 'state comes back');
  assert.equal(callback.searchParams.get('iss'), server.issuer, 'RFC 9207 iss is the issuer');
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code in ${callback.href}`);

  // 3. The SDK exchanges the code.
  const transport = new StreamableHTTPClientTransport(url, transportOptions);
  await within(transport.finishAuth(code), 'the code exchange');
  const exchange = recorder.requests.filter((r) => r.url === `${server.base}/oauth/token`).at(-1);
  assert.equal(exchange.status, 200);
  const exchangeForm = formOf(exchange);
  assert.equal(exchangeForm.grant_type, 'authorization_code');
  assert.equal(exchangeForm.resource, server.resource);
  assert.match(exchangeForm.code_verifier, /^[A-Za-z0-9._~-]{43,128}$/);
  const tokens = provider.tokens();
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.refresh_token, 'a refresh token');
  assert.ok(tokens.expires_in > 0, 'expires_in');
  const claims = decodeJwt(tokens.access_token).payload;
  assert.equal(claims.aud, server.resource);
  assert.equal(claims.client_id, client.client_id);

  // 4. Connected: tools/list and tools/call as the signed-in user.
  const mcp = new Client({ name: 'portcullis-e2e-oauth-sdk', version: '1.0.0' });
  await within(mcp.connect(transport, REQUEST), 'the authorized connection');
  try {
    const names = (await within(mcp.listTools({}, REQUEST), 'tools/list')).tools.map((t) => t.name);
    for (const expected of ['demo_echo', 'whoami']) assert.ok(names.includes(expected), `${expected} in ${names}`);
    const echo = await within(mcp.callTool({ name: 'demo_echo', arguments: { text: 'through the gate' } }, undefined, REQUEST), 'demo_echo');
    assert.equal(firstText(echo), 'through the gate');
    const who = await within(mcp.callTool({ name: 'whoami', arguments: {} }, undefined, REQUEST), 'whoami');
    assert.ok(!who.isError && JSON.stringify(who).includes(server.username), `whoami names ${server.username}: ${JSON.stringify(who)}`);

    // 5a. Refresh on a 401: the stored access token no longer verifies, the
    // SDK refreshes with its refresh token and retries, with no new sign-in.
    const before = provider.tokens();
    const [h, p, sig] = before.access_token.split('.');
    const tampered = `${h}.${p}.${sig.slice(0, -4)}${sig.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    provider._tokens = { ...before, access_token: tampered };
    const again = await within(mcp.listTools({}, REQUEST), 'tools/list after a 401');
    assert.ok(again.tools.length > 0);
    const refreshes = recorder.requests.filter((r) => r.url === `${server.base}/oauth/token` && formOf(r).grant_type === 'refresh_token');
    assert.equal(refreshes.length, 1, 'one refresh');
    assert.equal(refreshes[0].status, 200);
    assert.equal(formOf(refreshes[0]).refresh_token, before.refresh_token);
    const afterFirst = provider.tokens();
    assert.notEqual(afterFirst.access_token, tampered);
    assert.notEqual(afterFirst.access_token, before.access_token, 'a new access token');
    assert.notEqual(afterFirst.refresh_token, before.refresh_token, 'the refresh token was rotated');
    assert.equal(provider.authorizationUrls.length, 1, 'no second sign-in');

    // 5b. Refresh through the SDK's auth() with a stored refresh token.
    assert.equal(await within(auth(provider, { serverUrl: url, fetchFn: recorder.fetch }), 'auth() refresh'), 'AUTHORIZED');
    const afterSecond = provider.tokens();
    assert.notEqual(afterSecond.refresh_token, afterFirst.refresh_token, 'rotated again');
    assert.notEqual(afterSecond.access_token, afterFirst.access_token);
    const echo2 = await within(mcp.callTool({ name: 'demo_echo', arguments: { text: 'refreshed' } }, undefined, REQUEST), 'demo_echo after refresh');
    assert.equal(firstText(echo2), 'refreshed');

    // 6. Revocation (RFC 7009) of the access token ends the grant: the
    // token gets 401 (once the revocation has reached the token checks,
    // which read the change log a few times a second) and the refresh
    // token is dead too.
    const current = provider.tokens();
    assert.equal((await mcpWithToken(server, current.access_token)).status, 200, 'the token works before revocation');
    const revoked = await revoke(server, current.access_token, client.client_id);
    assert.equal(revoked.status, 200, `revocation: ${revoked.text}`);
    const refused = await refusedSoon(server, current.access_token, 'the revoked access token to be refused');
    assert.equal(refused.challenge?.error, 'invalid_token');
    assert.equal(refused.challenge?.resource_metadata, `${server.base}/.well-known/oauth-protected-resource/mcp`);
    const dead = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: current.refresh_token, client_id: client.client_id });
    assert.equal(dead.status, 400);
    assert.equal(dead.json?.error, 'invalid_grant', 'the refresh token of a revoked grant');
    // The SDK cannot refresh any more and asks for a new sign-in.
    await assert.rejects(within(mcp.listTools({}, REQUEST), 'tools/list after revocation'));
    assert.equal(provider.authorizationUrls.length, 2, 'the SDK starts a new authorization');
  } finally {
    await mcp.close();
  }
}

describe('official SDK client: OAuth sign-in against Portcullis', SUITE_BOUND, () => {
  test('dynamic client registration: discovery, sign-in, tools, refresh, revocation', async () => {
    await withOAuthServer({}, async (server) => {
      const provider = new MemoryProvider({
        redirectUrl: `http://127.0.0.1:${await freePort()}/callback`,
        name: 'Portcullis e2e SDK client (DCR)',
      });
      await journey(server, provider, recordingFetch(), { expectRegistration: true });
    });
  });

  test('client ID metadata document served over https: discovery, sign-in, tools, refresh, revocation', async () => {
    const dir = await tempDir('portcullis-cimd-');
    try {
      const cert = await devCert(dir.path);
      const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
      const name = 'Portcullis e2e SDK client (CIMD)';
      const docs = await startHttpsServer(cert, (req, res, origin) => {
        if (req.url !== '/clients/sdk.json') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({
          client_id: `${origin}/clients/sdk.json`,
          client_name: name,
          redirect_uris: [redirectUrl],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        }));
      });
      try {
        const auth = { cimd: { allow_hosts: ['127.0.0.1'], ca_file: cert.ca } };
        await withOAuthServer({ auth }, async (server) => {
          const meta = await fetch(`${server.base}/.well-known/oauth-authorization-server`).then((r) => r.json());
          assert.equal(meta.client_id_metadata_document_supported, true);
          const provider = new MemoryProvider({ redirectUrl, clientMetadataUrl: `${docs.origin}/clients/sdk.json`, name });
          await journey(server, provider, recordingFetch(), { expectRegistration: false });
          assert.ok(docs.requests.some((r) => r.method === 'GET' && r.url === '/clients/sdk.json'),
            `Portcullis fetched the metadata document: ${JSON.stringify(docs.requests)}`);
        });
      } finally {
        await docs.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
