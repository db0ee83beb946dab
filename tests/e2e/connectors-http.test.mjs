// The http connector end to end: a small REST service (fixtures-http) on
// 127.0.0.1, a Portcullis whose config declares operations by hand and
// loads an OpenAPI document (from a file and from a URL), and the official
// SDK client calling the generated tools. Shows the tools and their input
// schemas, what reaches the service (method, path, query, headers, body),
// how replies and failures come back, and that bad documents and configs
// stop `config check`, `serve` and `plugins list` with exit 78.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { withServer, within, runCli, firstText, SUITE_BOUND, WAIT_MS } from './support/mcp.mjs';
import { tempDir } from './support/oauth.mjs';
import { startService, OPENAPI_FILE } from './fixtures-http/service.mjs';

const EX_CONFIG = 78;
const REQUEST = { timeout: WAIT_MS };
const API_KEY = 'k-123-secret';

/** Writes a config with `plugins` (open server, no sign-in) and returns its path. */
async function writeConfig(dir, name, plugins) {
  const config = {
    server: { listen: '127.0.0.1:0', mcp_path: '/mcp', threads: 16 },
    data_dir: './var/unused-e2e',
    logging: { level: 'warning' },
    plugins,
  };
  const file = path.join(dir, name);
  await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

function petstore(origin, extra = {}) {
  return {
    name: 'petstore',
    kind: 'connector',
    library: 'http_connector',
    config: {
      base_url: `${origin}/api`,
      prefix: 'pets_',
      headers: { 'X-Api-Key': { env: 'PETSTORE_TEST_KEY' } },
      timeouts: { connect: '2s', request: '2s' },
      max_response_bytes: 100000,
      operations: [
        {
          name: 'get_pet',
          description: 'Fetch one pet by id',
          method: 'GET',
          path: '/pets/{id}',
          input_schema: {
            type: 'object',
            properties: { id: { type: 'integer' }, verbose: { type: 'boolean' } },
            required: ['id'],
            additionalProperties: false,
          },
        },
        {
          name: 'add_note',
          method: 'POST',
          path: '/notes/{topic}',
          query: ['dry_run'],
          input_schema: {
            type: 'object',
            properties: { topic: { type: 'string' }, dry_run: { type: 'boolean' }, text: { type: 'string' } },
            required: ['topic', 'text'],
          },
        },
        { name: 'text_reply', path: '/text' },
        { name: 'huge', path: '/huge' },
        { name: 'hang', path: '/hang' },
        { name: 'pets_as_text', path: '/pets', response: 'text' },
      ],
      openapi: { file: OPENAPI_FILE, exclude: ['deletePet'] },
      ...extra,
    },
  };
}

async function connect(server) {
  const client = new Client({ name: 'connectors-http-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } });
  await within(client.connect(transport, REQUEST), 'the SDK client to connect');
  return client;
}

function call(client, name, args = {}) {
  return within(client.callTool({ name, arguments: args }, undefined, REQUEST), `tools/call ${name}`);
}

describe('http connector', SUITE_BOUND, () => {
  let service;
  let dir;
  before(async () => {
    service = await startService();
    dir = await tempDir('portcullis-http-');
  });
  after(async () => {
    await service?.close();
    await dir?.remove();
  });

  test('operations and OpenAPI tools are listed, called and mapped', async () => {
    const remote = {
      name: 'remote',
      kind: 'connector',
      library: 'http_connector',
      config: { prefix: 'remote_', openapi: { url: `${service.origin}/api/openapi.json`, include: ['get*'] } },
    };
    const file = await writeConfig(dir.path, 'serve.yaml', [petstore(service.origin), remote]);
    await withServer(file, async (server) => {
      const client = await connect(server);
      try {
        const { tools } = await within(client.listTools({}, REQUEST), 'tools/list');
        const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
        const ours = tools.map((t) => t.name).filter((n) => /^(pets|remote)_/.test(n)).sort();
        assert.deepEqual(ours, [
          'pets_add_note', 'pets_createPet', 'pets_failHard', 'pets_getPet', 'pets_get_pet', 'pets_hang',
          'pets_huge', 'pets_listPets', 'pets_pets_as_text', 'pets_text_reply', 'remote_getPet',
        ]);

        // Input schemas: hand-declared as written, OpenAPI from parameters and the body, $refs inlined.
        assert.deepEqual(byName.pets_get_pet.inputSchema.properties, { id: { type: 'integer' }, verbose: { type: 'boolean' } });
        assert.equal(byName.pets_get_pet.description, 'Fetch one pet by id');
        assert.deepEqual(byName.pets_getPet.inputSchema.required, ['petId']);
        assert.deepEqual(byName.pets_getPet.inputSchema.properties.petId, { type: 'integer', description: "The pet's id" });
        assert.deepEqual(byName.pets_listPets.inputSchema.properties, {
          limit: { type: 'integer', minimum: 1, description: 'At most this many' },
          'X-Trace': { type: 'string', description: 'Correlation id' },
        });
        assert.deepEqual(byName.pets_createPet.inputSchema.required, ['body']);
        assert.deepEqual(byName.pets_createPet.inputSchema.properties.body.properties.tag,
          { type: 'string', description: 'What kind of animal' });
        assert.equal(byName.pets_createPet.description, 'Add a pet');
        assert.equal(byName.pets_listPets.annotations?.readOnlyHint, true);
        assert.equal(byName.pets_createPet.annotations?.readOnlyHint, false);

        const seen = () => service.requests.at(-1);

        // GET with a query parameter and a header parameter; JSON arrays come back wrapped.
        let result = await call(client, 'pets_listPets', { limit: 1, 'X-Trace': 'trace-1' });
        assert.equal(result.isError, undefined, JSON.stringify(result));
        assert.deepEqual(result.structuredContent, { result: [{ id: 1, name: 'Rex', tag: 'dog' }] });
        assert.deepEqual(JSON.parse(firstText(result)), [{ id: 1, name: 'Rex', tag: 'dog' }]);
        assert.equal(seen().method, 'GET');
        assert.equal(seen().rawUrl, '/api/pets?limit=1');
        assert.equal(seen().headers['x-trace'], 'trace-1');
        assert.equal(seen().headers['x-api-key'], API_KEY);

        // POST with the OpenAPI request body under `body`.
        result = await call(client, 'pets_createPet', { body: { name: 'Kit', tag: 'cat' } });
        assert.deepEqual(result.structuredContent, { id: 3, name: 'Kit', tag: 'cat' });
        assert.equal(seen().method, 'POST');
        assert.equal(seen().rawUrl, '/api/pets');
        assert.deepEqual(JSON.parse(seen().body), { name: 'Kit', tag: 'cat' });
        assert.match(seen().headers['content-type'], /^application\/json/);

        const [listed, created] = service.requests.slice(-2);
        assert.equal(created.clientPort, listed.clientPort, 'the second call reuses the kept-alive connection');

        // Hand-declared GET: path variable, the rest as query.
        result = await call(client, 'pets_get_pet', { id: 2, verbose: true });
        assert.deepEqual(result.structuredContent, { id: 2, name: 'Tom', tag: 'cat' });
        assert.equal(seen().rawUrl, '/api/pets/2?verbose=true');

        // Hand-declared POST: an encoded path segment, a listed query argument, the rest as the body.
        result = await call(client, 'pets_add_note', { topic: 'a b/c?', dry_run: true, text: 'hi' });
        assert.deepEqual(result.structuredContent, { stored: true });
        assert.equal(seen().method, 'POST');
        assert.equal(seen().rawUrl, '/api/notes/a%20b%2Fc%3F?dry_run=true');
        assert.deepEqual(JSON.parse(seen().body), { text: 'hi' });

        // The OpenAPI document fetched from a URL, its relative server resolved against it.
        result = await call(client, 'remote_getPet', { petId: 1 });
        assert.deepEqual(result.structuredContent, { id: 1, name: 'Rex', tag: 'dog' });
        assert.equal(seen().headers['x-api-key'], undefined, 'each plugin sends only its own headers');

        // Text replies, and JSON asked for as text.
        result = await call(client, 'pets_text_reply');
        assert.equal(firstText(result), 'plain words');
        assert.equal(result.structuredContent, undefined);
        result = await call(client, 'pets_pets_as_text');
        assert.equal(result.structuredContent, undefined);
        assert.equal(JSON.parse(firstText(result)).length, 3);

        // Failures are tool errors that name the status and quote the body.
        result = await call(client, 'pets_getPet', { petId: 99 });
        assert.equal(result.isError, true);
        assert.equal(firstText(result), 'HTTP 404 Not Found: {"error":"no pet 99"}');
        result = await call(client, 'pets_failHard');
        assert.equal(result.isError, true);
        assert.equal(firstText(result), 'HTTP 500 Internal Server Error: the database is on fire');

        // A reply over max_response_bytes and a backend that never answers are bounded.
        result = await call(client, 'pets_huge');
        assert.equal(result.isError, true);
        assert.match(firstText(result), /larger than max_response_bytes \(100000\)/);
        result = await call(client, 'pets_hang');
        assert.equal(result.isError, true);
        assert.match(firstText(result), /no complete reply from http:\/\/127\.0\.0\.1:\d+ within 2000 ms/);

        // The core refuses arguments outside the schema before anything is sent.
        const before = service.requests.length;
        const refused = await client.callTool({ name: 'pets_get_pet', arguments: { id: 'x' } }, undefined, REQUEST)
          .catch((e) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
        assert.equal(refused.isError, true);
        assert.equal(service.requests.length, before);

        for (const r of service.requests) assert.equal(r.headers.authorization, undefined);
      } finally {
        await client.close();
      }
    }, { env: { PETSTORE_TEST_KEY: API_KEY } });
  });

  test("with identity.assertion the backend gets a JWT naming the caller, never the caller's token", async () => {
    const plugin = petstore(service.origin, { identity: { assertion: { audience: 'https://pets.example', ttl: '30s' } } });
    const file = path.join(dir.path, 'signed-in.yaml');
    await fs.writeFile(file, `${JSON.stringify({
      server: { listen: '127.0.0.1:0', mcp_path: '/mcp', threads: 16 },
      data_dir: './var/unused-e2e',
      logging: { level: 'warning' },
      auth: { identity: 'builtin' },
      plugins: [{ name: 'builtin', kind: 'identity', library: 'builtin', config: {} }, plugin],
      policy: { rules: [{ name: 'members-pets', effect: 'allow', roles: ['member', 'admin'], tools: ['pets_*'] }] },
    }, null, 2)}\n`);
    await withServer(file, async (server) => {
      const client = await connect(server);
      try {
        const result = await call(client, 'pets_get_pet', { id: 1 });
        assert.deepEqual(result.structuredContent, { id: 1, name: 'Rex', tag: 'dog' }, JSON.stringify(result));
        const seen = service.requests.at(-1);
        assert.equal(seen.rawUrl, '/api/pets/1');
        const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(seen.headers.authorization ?? '');
        assert.ok(m, `a bearer JWT, got ${seen.headers.authorization}`);
        assert.ok(!seen.headers.authorization.includes(server.token), "the caller's own token is not forwarded");
        const claims = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8'));
        assert.equal(claims.aud, 'https://pets.example');
        assert.ok(claims.sub, 'the assertion names the caller');
        assert.ok(claims.exp - claims.iat <= 30, `a ttl of at most 30 s, got ${claims.exp - claims.iat}`);
        assert.equal(seen.headers['x-api-key'], API_KEY);
      } finally {
        await client.close();
      }
    }, { signIn: true, env: { PETSTORE_TEST_KEY: API_KEY } });
  });

  test('plugins list shows the connector', async () => {
    const file = await writeConfig(dir.path, 'list.yaml', [petstore(service.origin)]);
    const r = await runCli(['plugins', 'list', '--config', file], { env: { PETSTORE_TEST_KEY: API_KEY } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^petstore\s+connector\s+\/\S+\/http_connector\.so\s+\d+\.\d+\s+(\S+\s+)?ok$/m);
  });

  /**
   * `plugins list` (which starts each plugin) and `serve` both stop with
   * exit 78 and the plugin's message; `config check` checks the schema only.
   */
  async function assertRefused(file, message) {
    const list = await runCli(['plugins', 'list', '--config', file]);
    assert.equal(list.code, EX_CONFIG, list.stdout + list.stderr);
    assert.match(list.stdout, /^broken\s+connector\s.*error: /m);
    assert.match(list.stdout, message);
    const serve = await runCli(['serve', '--config', file, '--listen', '127.0.0.1:0']);
    assert.equal(serve.code, EX_CONFIG, serve.stdout + serve.stderr);
    assert.match(serve.stderr, /plugin "broken": failed to start: /);
    assert.match(serve.stderr, message);
  }

  test('config check refuses an unknown key with its line', async () => {
    const file = await writeConfig(dir.path, 'unknown-key.yaml', [{
      name: 'broken', kind: 'connector', library: 'http_connector',
      config: { base_url: `${service.origin}/api`, operations: [{ name: 'x', path: '/a', colour: 'blue' }] },
    }]);
    const check = await runCli(['config', 'check', file]);
    assert.equal(check.code, EX_CONFIG, check.stdout + check.stderr);
    assert.match(check.stderr, /:\d+: plugins\[0\]\.config\.operations\[0\]\.colour: plugin "broken": unknown key/);
  });

  const badDocuments = {
    'not JSON': ['{"openapi": "3.0.0", "paths": {', /is not valid JSON/],
    'Swagger 2.0': [JSON.stringify({ swagger: '2.0', paths: {} }), /Swagger 2\.0 documents are not supported/],
    'a $ref cycle': [JSON.stringify({
      openapi: '3.0.0',
      paths: { '/a': { get: { operationId: 'a', parameters: [{ $ref: '#/components/parameters/P' }] } } },
      components: { parameters: { P: { $ref: '#/components/parameters/Q' }, Q: { $ref: '#/components/parameters/P' } } },
    }), /\$ref cycle/],
    'a path variable without a parameter': [JSON.stringify({
      openapi: '3.1.0', paths: { '/pets/{id}': { get: { operationId: 'getPet' } } },
    }), /path variable "\{id\}" has no path parameter/],
  };
  for (const [what, [text, message]] of Object.entries(badDocuments)) {
    test(`config check and serve refuse an OpenAPI document with ${what}`, async () => {
      const doc = path.join(dir.path, `bad-${what.replace(/\W+/g, '-')}.json`);
      await fs.writeFile(doc, text);
      const file = await writeConfig(dir.path, 'bad-doc.yaml', [{
        name: 'broken', kind: 'connector', library: 'http_connector',
        config: { base_url: `${service.origin}/api`, openapi: { file: doc } },
      }]);
      await assertRefused(file, message);
    });
  }

  const badConfigs = {
    'an unknown path variable': [{ operations: [{ name: 'x', path: '/pets/{petId}' }] }, /path variable "petId" is not a property of input_schema/],
    'a duplicate tool name': [{ operations: [{ name: 'x', path: '/a' }, { name: 'x', path: '/b' }] }, /two tools are named "x"/],
    'a missing header secret': [{ headers: { 'X-Key': { env: 'PORTCULLIS_HTTP_NO_SUCH_VAR' } }, operations: [{ name: 'x', path: '/a' }] },
      /environment variable PORTCULLIS_HTTP_NO_SUCH_VAR is not set/],
    'a base URL that is not http': [{ base_url: 'file:///etc', operations: [{ name: 'x', path: '/a' }] }, /must be an absolute http:\/\/ or https:\/\/ URL/],
  };
  for (const [what, [config, message]] of Object.entries(badConfigs)) {
    test(`the plugin refuses ${what}`, async () => {
      const file = await writeConfig(dir.path, 'bad-config.yaml', [{
        name: 'broken', kind: 'connector', library: 'http_connector',
        config: { base_url: `${service.origin}/api`, ...config },
      }]);
      await assertRefused(file, message);
    });
  }
});
