// Setup for scripts/bench/auth.sh: the configuration of a Portcullis with
// sign-in, and tokens obtained through the real authorization code flow.
//
//   node auth-setup.mjs config --out FILE [--access-token-ttl 24h]
//        [--synchronous FULL|NORMAL] [--audit on|off]
//     Writes the configuration: config/examples/open.yaml's server, logging
//     and plugins (threads 128, demo + conformance) plus what
//     tests/e2e/support/oauth.mjs's oauthConfig() adds for sign-in (the
//     built-in identity provider). Written as JSON, which YAML reads as it
//     is. The data directory comes from PORTCULLIS_DATA_DIR. storage is left
//     at its defaults unless --synchronous is given.
//
//   node auth-setup.mjs tokens --base http://127.0.0.1:PORT --out DIR
//        [--chains N] [--sets M]
//     Registers one public client (RFC 7591), signs in as the user
//     tests/e2e/support/oauth.mjs adds (alice) through the HTML sign-in and
//     consent pages of a scripted browser, with "remember" ticked, and
//     exchanges the code (PKCE S256). Then, in the same browser session,
//     N x M more authorizations, each answered at once with a code (the
//     consent is remembered), and their exchanges: N x M grants, each with
//     its own refresh token. Writes to DIR:
//       access-token      the first exchange's JWT access token
//       chains.K          for K = 1..M: the client_id, then N refresh tokens,
//                         one a line
//       setup.json        what was done and how long it took
//     Checks that the access token is an at+jwt that calls demo_echo.
//
// Exit status 0, or 2 with a message on error.

import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ALL_SCOPES, USERNAME, PASSWORD, oauthConfig, pkce, authorizationUrl, registerPublicClient, tokenRequest,
  mcpWithToken, decodeJwt,
} from '../../tests/e2e/support/oauth.mjs';
import { Browser, signInAndConsent } from '../../tests/e2e/support/browser.mjs';

const argv = process.argv.slice(2);
const command = argv[0];
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};

function fail(message) {
  console.error(`auth-setup.mjs: ${message}`);
  process.exit(2);
}

async function writeConfig() {
  const out = opt('out');
  if (!out) fail('config needs --out FILE');
  const config = oauthConfig({
    server: { threads: 128 },
    auth: { access_token_ttl: opt('access-token-ttl', '24h') },
    logLevel: 'warning',
  });
  // open.yaml serves the conformance plugin too; the same catalogue here.
  config.plugins.push({ name: 'conformance', kind: 'primitives', library: 'conformance', config: {} });
  const synchronous = opt('synchronous');
  if (synchronous) config.storage = { synchronous };
  if (opt('audit', 'on') === 'off') config.audit = { enabled: false };
  await fs.writeFile(out, `${JSON.stringify(config, null, 2)}\n`);
}

async function obtainTokens() {
  const base = opt('base');
  const dir = opt('out');
  if (!base || !dir) fail('tokens needs --base URL and --out DIR');
  const chains = Number(opt('chains', '64'));
  const sets = Number(opt('sets', '1'));
  const server = {
    base, endpoint: `${base}/mcp`, issuer: base, resource: `${base}/mcp`, username: USERNAME, password: PASSWORD,
  };
  // The browser stops at this redirect and never loads it.
  const redirectUri = 'http://127.0.0.1:9/callback';
  const started = Date.now();
  const client = await registerPublicClient(server, { redirectUri, name: 'portcullis benchmark' });
  const browser = new Browser({ userAgent: 'portcullis-bench/1.0' });

  // One authorization: the browser goes through whatever pages the server
  // shows (sign-in and consent the first time, none once the consent is
  // remembered), then the code is exchanged.
  let pagesShown = 0;
  const authorizeAndExchange = async (remember) => {
    const { verifier, challenge } = pkce();
    const url = authorizationUrl(server, { clientId: client.client_id, redirectUri, challenge, scope: ALL_SCOPES.join(' ') });
    const { callback, pages } = await signInAndConsent(browser, url, {
      username: USERNAME, password: PASSWORD, redirectUri, remember,
    });
    pagesShown += pages.length - 1;
    const code = callback.searchParams.get('code');
    if (!code) throw new Error(`no code on the redirect: ${callback.href}`);
    const r = await tokenRequest(server, {
      grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri,
      client_id: client.client_id, resource: server.resource,
    });
    if (r.status !== 200 || !r.json?.access_token || !r.json?.refresh_token) {
      throw new Error(`token exchange: HTTP ${r.status} ${r.text}`);
    }
    return r.json;
  };

  const first = await authorizeAndExchange(true);
  const firstPages = pagesShown;
  const jwt = decodeJwt(first.access_token);
  if (jwt.header.typ !== 'at+jwt' || jwt.header.alg !== 'ES256') {
    throw new Error(`unexpected access token header ${JSON.stringify(jwt.header)}`);
  }
  const check = await mcpWithToken(server, first.access_token, {
    method: 'tools/call', params: { name: 'demo_echo', arguments: { text: 'hello' } },
  });
  if (check.status !== 200 || !check.text.includes('hello')) {
    throw new Error(`tools/call with the access token: HTTP ${check.status} ${check.text}`);
  }
  await fs.writeFile(path.join(dir, 'access-token'), `${first.access_token}\n`);

  pagesShown = 0;
  const chainsStarted = Date.now();
  for (let k = 1; k <= sets; k++) {
    const lines = [client.client_id];
    for (let i = 0; i < chains; i++) lines.push((await authorizeAndExchange(false)).refresh_token);
    await fs.writeFile(path.join(dir, `chains.${k}`), `${lines.join('\n')}\n`);
  }
  if (pagesShown !== 0) {
    throw new Error(`the remembered consent did not skip the pages: ${pagesShown} page(s) shown`);
  }
  const setup = {
    clientId: client.client_id,
    accessTokenAlg: jwt.header.alg,
    accessTokenExpiresIn: first.expires_in,
    firstAuthorizationPages: firstPages,
    authorizations: 1 + chains * sets,
    chainsSeconds: (Date.now() - chainsStarted) / 1000,
    totalSeconds: (Date.now() - started) / 1000,
  };
  await fs.writeFile(path.join(dir, 'setup.json'), `${JSON.stringify(setup)}\n`);
  console.log(JSON.stringify(setup));
}

try {
  if (command === 'config') await writeConfig();
  else if (command === 'tokens') await obtainTokens();
  else fail('usage: auth-setup.mjs config|tokens ...');
} catch (e) {
  fail(e.stack || String(e));
}
