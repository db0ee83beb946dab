// Strict checks of Portcullis as an OAuth 2.1 authorization server:
// oauth4webapi (a client library that validates everything it receives)
// reads the discovery documents, the authorization response (iss included)
// and the token responses, and checks the RFC 9068 access token against the
// JWKS. Then bad input over real HTTP: each gets the right status and OAuth
// error code, and no error ever redirects to a URI the client did not
// register.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { freePort, SUITE_BOUND } from './support/mcp.mjs';
import { Browser, signInAndConsent } from './support/browser.mjs';
import {
  withOAuthServer, holdOAuthServer, tempDir, devCert, startHttpsServer, register, registerPublicClient, tokenRequest, authorize,
  authorizationUrl, obtainTokens, mcpWithToken, refusedSoon, eventually, decodeJwt, call, pkce, ALL_SCOPES,
} from './support/oauth.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };
const b64url = (data) => Buffer.from(data).toString('base64url');

/** A compact JWS from a header and payload, signed by `sign(input)` (a Buffer), or unsigned. */
function compact(header, payload, sign) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${sign ? b64url(sign(Buffer.from(input))) : ''}`;
}

/** The response carries no redirect, or one to exactly `registered` (plus a query). */
function assertRedirectsOnlyTo(res, registered, what) {
  if (res.location === undefined) return;
  assert.ok(res.location === registered || res.location.startsWith(`${registered}?`),
    `${what}: an error may only redirect to the registered URI ${registered}, not ${res.location}`);
}

/** An authorization request answered with an error on the redirect; checks it with oauth4webapi. */
function assertErrorRedirect(res, { as, client, redirectUri, state, error }) {
  assert.equal(res.status, 302, `a redirect back to the client: ${res.status} ${res.text.slice(0, 300)}`);
  assertRedirectsOnlyTo(res, redirectUri, error);
  const back = new URL(res.location);
  assert.equal(back.searchParams.get('error'), error, `error in ${back.href}`);
  assert.equal(back.searchParams.get('state'), state);
  assert.throws(() => oauth.validateAuthResponse(as, client, back, state), (e) => {
    assert.ok(e instanceof oauth.AuthorizationResponseError, `an authorization error response: ${e}`);
    assert.equal(e.error, error);
    return true;
  });
}

/** A 401 from the MCP endpoint with an invalid_token challenge; returns its description. */
function assertInvalidToken(res, server, what) {
  assert.equal(res.status, 401, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.challenge?.scheme, 'Bearer', `${what}: a Bearer challenge`);
  assert.equal(res.challenge?.error, 'invalid_token', `${what}: error=invalid_token in ${res.headers.get('www-authenticate')}`);
  assert.equal(res.challenge?.resource_metadata, `${server.issuer}/.well-known/oauth-protected-resource/mcp`);
  return res.challenge.error_description ?? '';
}

async function discover(server) {
  const issuer = new URL(server.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}

describe('oauth4webapi validates what Portcullis sends', SUITE_BOUND, () => {
  test('discovery documents, authorization response, token responses and the RFC 9068 access token', async () => {
    await withOAuthServer({}, async (server) => {
      const issuer = new URL(server.issuer);
      // RFC 8414, OpenID Connect discovery, RFC 9728.
      const as = await discover(server);
      const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
      for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint']) {
        assert.equal(oidc[field], as[field], `${field} is the same in both documents`);
      }
      assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
      assert.equal(as.authorization_response_iss_parameter_supported, true);
      assert.ok(as.response_types_supported.includes('code'));
      const resource = new URL(server.resource);
      const rs = await oauth.processResourceDiscoveryResponse(resource, await oauth.resourceDiscoveryRequest(resource, insecure));
      assert.deepEqual(rs.authorization_servers, [as.issuer], 'the resource names this issuer, byte for byte');
      assert.deepEqual([...rs.scopes_supported].sort(), [...ALL_SCOPES].sort());

      // RFC 7591 registration.
      const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
      const client = await oauth.processDynamicClientRegistrationResponse(await oauth.dynamicClientRegistrationRequest(as, {
        redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'], client_name: 'oauth4webapi e2e',
      }, insecure));
      assert.equal(client.client_secret, undefined, 'no secret for a public client');

      // The authorization response, validated with iss (RFC 9207).
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint);
      for (const [k, v] of Object.entries({
        response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'tools:read tools:call',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, resource: server.resource,
      })) url.searchParams.set(k, v);
      const { callback } = await signInAndConsent(new Browser(), url, { username: server.username, password: server.password, redirectUri });
      const params = oauth.validateAuthResponse(as, client, callback, state);
      assert.equal(callback.searchParams.get('iss'), as.issuer);
      // The same response with another iss, or none, must not pass.
      const forged = new URL(callback);
      forged.searchParams.set('iss', 'http://127.0.0.1:1');
      assert.throws(() => oauth.validateAuthResponse(as, client, forged, state), /iss/);
      forged.searchParams.delete('iss');
      assert.throws(() => oauth.validateAuthResponse(as, client, forged, state), /iss/);

      // The token response, strictly.
      const codeResponse = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier,
        { additionalParameters: { resource: server.resource }, ...insecure });
      assert.equal(codeResponse.headers.get('cache-control'), 'no-store');
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, codeResponse);
      assert.equal(tokens.token_type, 'bearer');
      assert.ok(tokens.expires_in > 0);
      assert.equal(tokens.scope, 'tools:read tools:call');
      assert.ok(tokens.refresh_token);

      // RFC 9068: oauth4webapi verifies against the JWKS, and so does this test, by hand.
      const request = new Request(server.resource, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
      const claims = await oauth.validateJwtAccessToken(as, request, server.resource, insecure);
      const { header, payload } = decodeJwt(tokens.access_token);
      assert.equal(header.typ, 'at+jwt');
      assert.ok(header.kid, 'a kid');
      const jwks = await (await fetch(as.jwks_uri)).json();
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      assert.ok(jwk, `the kid ${header.kid} is in the JWKS`);
      assert.equal(header.alg, jwk.alg);
      const [h, p, s] = tokens.access_token.split('.');
      const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
      const verified = crypto.verify('sha256', Buffer.from(`${h}.${p}`),
        jwk.kty === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
      assert.ok(verified, 'the signature verifies with the published key');
      assert.equal(payload.iss, as.issuer);
      assert.equal(payload.aud, server.resource, 'aud is the MCP resource');
      assert.equal(payload.client_id, client.client_id);
      assert.equal(payload.scope, 'tools:read tools:call');
      const now = Math.floor(Date.now() / 1000);
      assert.ok(payload.exp > now && payload.exp <= now + tokens.expires_in + 60, `exp ${payload.exp} matches expires_in`);
      assert.ok(typeof payload.sub === 'string' && typeof payload.jti === 'string' && Number.isInteger(payload.iat));
      assert.deepEqual(claims, payload);
      assert.equal((await mcpWithToken(server, tokens.access_token)).status, 200, 'the token opens the MCP endpoint');

      // The refresh response, strictly; the refresh token rotates.
      const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(
        as, client, oauth.None(), tokens.refresh_token, { additionalParameters: { resource: server.resource }, ...insecure }));
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.notEqual(refreshed.access_token, tokens.access_token);
      await oauth.validateJwtAccessToken(as, new Request(server.resource, { headers: { Authorization: `Bearer ${refreshed.access_token}` } }),
        server.resource, insecure);

      // Introspection (RFC 7662) and revocation (RFC 7009) through oauth4webapi.
      const active = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, oauth.None(), refreshed.access_token, insecure));
      assert.equal(active.active, true);
      assert.equal(active.aud, server.resource);
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), refreshed.refresh_token, insecure));
      assertInvalidToken(await refusedSoon(server, refreshed.access_token), server, 'after revocation');
      const inactive = await oauth.processIntrospectionResponse(as, client,
        await oauth.introspectionRequest(as, client, oauth.None(), refreshed.access_token, insecure));
      assert.equal(inactive.active, false);
    });
  });
});

describe('bad input over real HTTP', SUITE_BOUND, () => {
  let server;
  let stop;
  let as;
  let client;
  let redirectUri;
  const attacker = 'https://attacker.example/callback';

  before(async () => {
    // One server for this group, kept running until after().
    ({ server, stop } = await holdOAuthServer({}));
    as = await discover(server);
    redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    client = await registerPublicClient(server, { redirectUri });
  });
  after(() => stop?.());

  const pair = () => ({ clientId: client.client_id, redirectUri });

  test('authorize: PKCE is required, S256 only (errors go back to the registered redirect URI)', async () => {
    const { challenge } = pkce();
    const cases = [
      ['no code_challenge', { code_challenge: undefined, code_challenge_method: undefined }],
      ['no code_challenge_method', { code_challenge_method: undefined }],
      ['plain', { code_challenge_method: 'plain' }],
      ['plain with a plain-sized challenge', { code_challenge_method: 'plain', code_challenge: 'x'.repeat(50) }],
      ['S256 with a malformed challenge', { code_challenge: 'too-short' }],
    ];
    for (const [what, overrides] of cases) {
      const state = `s-${what.replace(/\W/g, '')}`;
      const url = authorizationUrl(server, { ...pair(), challenge, state });
      for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) url.searchParams.delete(k);
        else url.searchParams.set(k, v);
      }
      const res = await call(url);
      assertErrorRedirect(res, { as, client, redirectUri, state, error: 'invalid_request' });
    }
  });

  test('token: a missing code_verifier, then a wrong one burns the code', async () => {
    const first = await authorize(server, pair());
    const missing = await tokenRequest(server, { grant_type: 'authorization_code', code: first.code, redirect_uri: redirectUri, client_id: client.client_id });
    assert.equal(missing.status, 400);
    assert.equal(missing.json?.error, 'invalid_request');

    const { code, verifier } = await authorize(server, pair());
    const exchange = (v) => tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: v, redirect_uri: redirectUri, client_id: client.client_id });
    const wrong = await exchange(pkce().verifier);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json?.error, 'invalid_grant', 'a wrong verifier');
    const right = await exchange(verifier);
    assert.equal(right.status, 400, 'the code is spent even though the verifier was wrong');
    assert.equal(right.json?.error, 'invalid_grant');
  });

  test('redirect_uri must match exactly: a trailing slash, a query or another case is refused without a redirect', async () => {
    const { challenge } = pkce();
    const variants = [
      ['trailing slash', `${redirectUri}/`],
      ['query', `${redirectUri}?next=1`],
      ['case', redirectUri.replace('/callback', '/Callback')],
      ['another host', attacker],
      ['another scheme', redirectUri.replace('http:', 'https:')],
    ];
    for (const [what, uri] of variants) {
      const url = authorizationUrl(server, { clientId: client.client_id, redirectUri: uri, challenge, state: 'st' });
      const html = await call(url);
      assert.equal(html.status, 400, `${what}: ${html.status}`);
      assert.equal(html.location, undefined, `${what}: no redirect to ${uri}`);
      assert.match(html.headers.get('content-type'), /^text\/html/);
      const json = await call(url, { headers: { Accept: 'application/json' } });
      assert.equal(json.status, 400, `${what} (JSON)`);
      assert.equal(json.json?.error, 'invalid_request', `${what} (JSON): ${json.text}`);
      assert.equal(json.location, undefined);
    }
    // An unknown client never redirects either, wherever it asks to go.
    const unknown = await call(authorizationUrl(server, { clientId: 'pc_no_such_client', redirectUri: attacker, challenge }), { headers: { Accept: 'application/json' } });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json?.error, 'invalid_client');
    assert.equal(unknown.location, undefined);
    // At the token endpoint the redirect_uri must be the authorization request's, exactly.
    const { code, verifier } = await authorize(server, pair());
    const slash = await tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${redirectUri}/`, client_id: client.client_id });
    assert.equal(slash.status, 400);
    assert.equal(slash.json?.error, 'invalid_grant');
  });

  test('registration refuses javascript:, data: and plain-http redirect URIs that are not loopback', async () => {
    const refused = [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)//http://127.0.0.1/',
      'data:text/html,<script>alert(1)</script>',
      'http://example.com/callback',
      'http://127.0.0.1.example.com/callback',
      'http://localhost@example.com/callback',
      'https://example.com/callback#fragment',
    ];
    for (const uri of refused) {
      const r = await register(server, { redirect_uris: [uri], token_endpoint_auth_method: 'none', client_name: 'bad' });
      assert.equal(r.status, 400, `${uri}: ${r.status} ${r.text}`);
      assert.equal(r.json?.error, 'invalid_redirect_uri', `${uri}: ${r.text}`);
      assert.equal(r.json?.client_id, undefined);
    }
    for (const uri of ['http://127.0.0.1:4711/cb', 'http://[::1]/cb', 'http://localhost:9/cb', 'https://app.example/cb']) {
      const r = await register(server, { redirect_uris: [uri], token_endpoint_auth_method: 'none', client_name: 'good' });
      assert.equal(r.status, 201, `${uri} is allowed: ${r.text}`);
    }
  });

  test('a reused authorization code is refused, and the tokens of its first redemption stop working', async () => {
    const { code, verifier } = await authorize(server, pair());
    const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: client.client_id };
    const first = await tokenRequest(server, params);
    assert.equal(first.status, 200);
    assert.equal((await mcpWithToken(server, first.json.access_token)).status, 200);
    const second = await tokenRequest(server, params);
    assert.equal(second.status, 400);
    assert.equal(second.json?.error, 'invalid_grant');
    assertInvalidToken(await refusedSoon(server, first.json.access_token), server, 'the first redemption\'s access token');
    const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.json.refresh_token, client_id: client.client_id });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.json?.error, 'invalid_grant', 'its refresh token too');
  });

  test('a reused refresh token revokes the whole family', async () => {
    const tokens = await obtainTokens(server, pair());
    const refresh = (rt) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: rt, client_id: client.client_id });
    const next = await refresh(tokens.refresh_token);
    assert.equal(next.status, 200);
    const replay = await refresh(tokens.refresh_token);
    assert.equal(replay.status, 400);
    assert.equal(replay.json?.error, 'invalid_grant', 'the spent refresh token');
    const successor = await refresh(next.json.refresh_token);
    assert.equal(successor.status, 400, 'the successor refresh token dies with the family');
    assert.equal(successor.json?.error, 'invalid_grant');
    for (const [what, at] of [['the first access token', tokens.access_token], ['the refreshed access token', next.json.access_token]]) {
      assertInvalidToken(await refusedSoon(server, at, `${what} to be refused`), server, what);
    }
  });

  test('another resource: invalid_target at authorize and token; a token whose aud is another resource gets 401', async () => {
    const other = 'http://127.0.0.1:1/mcp';
    const { challenge } = pkce();
    const res = await call(authorizationUrl(server, { ...pair(), challenge, state: 'tgt', resource: other }));
    assertErrorRedirect(res, { as, client, redirectUri, state: 'tgt', error: 'invalid_target' });

    const { code, verifier } = await authorize(server, pair());
    const exchange = await tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: client.client_id, resource: other });
    assert.equal(exchange.status, 400);
    assert.equal(exchange.json?.error, 'invalid_target');
    const good = await tokenRequest(server, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: client.client_id, resource: server.resource });
    assert.equal(good.status, 200, 'the code was not spent by the refused request');
    const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: good.json.refresh_token, client_id: client.client_id, resource: other });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.json?.error, 'invalid_target');

    // A second server on the same storage and keys, the same issuer, but
    // another resource (as a sibling deployment would be): its tokens are
    // genuine, signed by the same key, and still refused here for their aud.
    const secret = 'e2e-service-secret-0123456789';
    await withOAuthServer({
      dataDir: server.dataDir,
      listen: `127.0.0.1:${await freePort()}`,
      server: { public_url: server.issuer, mcp_path: '/other' },
      auth: { clients: [{ client_id: 'e2e-service', secret, redirect_uris: [], grant_types: ['client_credentials'] }] },
    }, async (sibling) => {
      const issued = await tokenRequest(sibling, { grant_type: 'client_credentials' },
        { headers: { Authorization: `Basic ${Buffer.from(`e2e-service:${secret}`).toString('base64')}` } });
      assert.equal(issued.status, 200, `client_credentials at the sibling: ${issued.text}`);
      const { header, payload } = decodeJwt(issued.json.access_token);
      assert.equal(payload.iss, server.issuer, 'the same issuer');
      assert.equal(payload.aud, `${server.issuer}/other`, 'another resource');
      const ours = decodeJwt(good.json.access_token).header;
      assert.equal(header.kid, ours.kid, 'signed with the same key');
      const description = assertInvalidToken(await mcpWithToken(server, issued.json.access_token), server, 'a token for another resource');
      assert.match(description, /another resource/, `the reason is the audience: ${description}`);
    });
  });

  test('forged and malformed tokens get 401: alg none, HS256 keyed with the public key, bad signature, unknown kid, garbage', async () => {
    const tokens = await obtainTokens(server, pair());
    assert.equal((await mcpWithToken(server, tokens.access_token)).status, 200, 'the genuine token works');
    const { header, payload } = decodeJwt(tokens.access_token);
    const jwks = await (await fetch(as.jwks_uri)).json();
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    const pem = crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const hmac = (secret) => (input) => crypto.createHmac('sha256', secret).update(input).digest();
    const [h, p, s] = tokens.access_token.split('.');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const cases = [
      ['alg none', compact({ ...header, alg: 'none' }, payload)],
      ['alg none, no kid', compact({ alg: 'none', typ: 'at+jwt' }, payload)],
      ['HS256 keyed with the public key (PEM)', compact({ ...header, alg: 'HS256' }, payload, hmac(pem))],
      ['HS256 keyed with the public key (JWK JSON)', compact({ ...header, alg: 'HS256' }, payload, hmac(JSON.stringify(jwk)))],
      ['HS256 keyed with the public key (x coordinate)', compact({ ...header, alg: 'HS256' }, payload, hmac(Buffer.from(jwk.x ?? jwk.n, 'base64url')))],
      ['a flipped signature bit', `${h}.${p}.${flipped}`],
      ['the claims changed under the signature', `${h}.${b64url(JSON.stringify({ ...payload, scope: 'tools:read tools:call resources:read prompts:read admin' }))}.${s}`],
      ['an unknown kid', `${b64url(JSON.stringify({ ...header, kid: 'no-such-key' }))}.${p}.${s}`],
      ['typ JWT instead of at+jwt', `${b64url(JSON.stringify({ ...header, typ: 'JWT' }))}.${p}.${s}`],
      ['one segment', 'abc'],
      ['two segments', `${h}.${p}`],
      ['four segments', `${h}.${p}.${s}.${s}`],
      ['not base64url', `${h}.${p}.***`],
      ['header not JSON', `${b64url('not json')}.${p}.${s}`],
      ['empty segments', '..'],
    ];
    for (const [what, token] of cases) {
      assertInvalidToken(await mcpWithToken(server, token), server, what);
    }
    // Not a Bearer token at all.
    const basic = await call(server.endpoint, { method: 'POST', headers: { Authorization: 'Basic YTpi', 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(basic.status, 401);
  });

  test('an oversized registration gets 400 invalid_client_metadata (the documented 16 KiB limit)', async () => {
    const body = (size) => {
      const base = { redirect_uris: ['http://127.0.0.1:4711/cb'], token_endpoint_auth_method: 'none', client_name: 'big', software_version: '' };
      const padding = size - JSON.stringify(base).length;
      return JSON.stringify({ ...base, software_version: 'x'.repeat(padding) });
    };
    const over = await register(server, body(16 * 1024 + 1));
    assert.equal(over.status, 400, `${over.status} ${over.text.slice(0, 200)}`);
    assert.equal(over.json?.error, 'invalid_client_metadata');
    const under = await register(server, body(16 * 1024));
    assert.equal(under.status, 201, `exactly at the limit: ${under.text.slice(0, 200)}`);
  });

  test('client ID metadata URLs: private addresses are refused without a fetch or a redirect', async () => {
    const { challenge } = pkce();
    for (const id of [
      'https://localhost/clients/app.json',
      'https://127.0.0.1:9/clients/app.json',
      'https://10.0.0.1/clients/app.json',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.1.1/clients/app.json',
    ]) {
      const url = authorizationUrl(server, { clientId: id, redirectUri: attacker, challenge });
      const json = await call(url, { headers: { Accept: 'application/json' } });
      assert.equal(json.status, 401, `${id}: ${json.text}`);
      assert.equal(json.json?.error, 'invalid_client');
      assert.match(json.json?.error_description ?? '', /private or special-use address/, `${id}: a clear reason`);
      assert.equal(json.location, undefined);
      const html = await call(url);
      assert.equal(html.status, 401);
      assert.equal(html.location, undefined, `${id}: no redirect`);
      assert.match(html.text, /private or special-use address/);
      const token = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x', code_verifier: pkce().verifier, redirect_uri: attacker, client_id: id });
      assert.equal(token.status, 401, `${id} at the token endpoint`);
      assert.equal(token.json?.error, 'invalid_client');
    }
  });
});

describe('an expired access token', SUITE_BOUND, () => {
  test('is refused once its exp (plus the server\'s 30 s clock-skew leeway) has passed', async () => {
    await withOAuthServer({ auth: { access_token_ttl: '1s' } }, async (server) => {
      const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
      const client = await registerPublicClient(server, { redirectUri });
      const tokens = await obtainTokens(server, { clientId: client.client_id, redirectUri });
      assert.equal(tokens.expires_in, 1);
      assert.equal(decodeJwt(tokens.access_token).payload.exp - decodeJwt(tokens.access_token).payload.iat, 1);
      const refused = await eventually(async () => {
        const r = await mcpWithToken(server, tokens.access_token);
        return r.status === 401 ? r : undefined;
      }, 'the token to expire', 90_000);
      const description = assertInvalidToken(refused, server, 'an expired token');
      assert.match(description, /expired/);
      // The refresh token still gets a fresh access token.
      const next = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id });
      assert.equal(next.status, 200);
      assert.equal((await mcpWithToken(server, next.json.access_token)).status, 200);
    });
  });
});

describe('client ID metadata documents that cannot be used', SUITE_BOUND, () => {
  test('a redirecting document, one naming another client_id, and private hosts are refused with a clear error', async () => {
    const dir = await tempDir('portcullis-cimd-');
    try {
      const cert = await devCert(dir.path);
      const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
      const docs = await startHttpsServer(cert, (req, res, origin) => {
        const document = (id) => JSON.stringify({
          client_id: id, client_name: 'CIMD e2e', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none',
        });
        const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
        if (req.url === '/good.json') res.writeHead(200, headers).end(document(`${origin}/good.json`));
        else if (req.url === '/moved.json') res.writeHead(302, { Location: `${origin}/good.json` }).end();
        else if (req.url === '/impostor.json') res.writeHead(200, headers).end(document(`${origin}/good.json`));
        else res.writeHead(404).end();
      });
      try {
        const auth = { cimd: { allow_hosts: ['127.0.0.1'], ca_file: cert.ca } };
        await withOAuthServer({ auth }, async (server) => {
          const { challenge } = pkce();
          const ask = (clientId, accept) => call(authorizationUrl(server, { clientId, redirectUri, challenge, state: 'c' }),
            accept ? { headers: { Accept: accept } } : {});

          // The control: a good document on an allowed host works.
          const good = await ask(`${docs.origin}/good.json`);
          assert.equal(good.status, 200, `a good document: ${good.text.slice(0, 300)}`);
          assert.match(good.text, /CIMD e2e/);

          for (const [path, reason] of [['/moved.json', /302/], ['/impostor.json', /client_id/], ['/missing.json', /404/]]) {
            const id = `${docs.origin}${path}`;
            const json = await ask(id, 'application/json');
            assert.equal(json.status, 401, `${path}: ${json.text}`);
            assert.equal(json.json?.error, 'invalid_client');
            assert.match(json.json?.error_description ?? '', reason, `${path}: a clear reason`);
            assert.equal(json.location, undefined);
            const html = await ask(id);
            assert.equal(html.status, 401);
            assert.equal(html.location, undefined, `${path}: no redirect`);
            assertRedirectsOnlyTo(html, redirectUri, path);
          }
          assert.ok(docs.requests.filter((r) => r.url === '/moved.json').length >= 1, 'the redirecting document was asked for');
          // The redirect was not followed: /good.json was fetched only for the good client.
          const goodFetches = docs.requests.filter((r) => r.url === '/good.json').length;
          const redirect = await ask(`${docs.origin}/moved.json`, 'application/json');
          assert.equal(redirect.status, 401);
          assert.equal(docs.requests.filter((r) => r.url === '/good.json').length, goodFetches, 'the redirect was not followed');

          // Hosts outside auth.cimd.allow_hosts that resolve to private addresses.
          const before = docs.requests.length;
          const port = new URL(docs.origin).port;
          for (const id of [`https://localhost:${port}/good.json`, 'https://10.0.0.1/good.json']) {
            const json = await ask(id, 'application/json');
            assert.equal(json.status, 401, `${id}: ${json.text}`);
            assert.equal(json.json?.error, 'invalid_client');
            assert.match(json.json?.error_description ?? '', /private or special-use address/);
          }
          assert.equal(docs.requests.length, before, 'nothing was fetched from a refused host');
        });
      } finally {
        await docs.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
