// A small REST service for the http connector's end-to-end tests, in plain
// Node http. It keeps pets in memory, records every request it receives
// (method, path, query, headers, body) and has endpoints that misbehave on
// purpose: a 500, an oversized reply, a reply that never comes.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OPENAPI_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'openapi.json');

function json(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Starts the service on 127.0.0.1 and a free port.
 * @returns {Promise<{origin: string, port: number, requests: object[], close: () => Promise<void>}>}
 */
export async function startService() {
  const pets = new Map([[1, { id: 1, name: 'Rex', tag: 'dog' }], [2, { id: 2, name: 'Tom', tag: 'cat' }]]);
  const requests = [];
  const hanging = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method,
        path: url.pathname,
        rawUrl: req.url,
        query: Object.fromEntries([...new Set(url.searchParams.keys())].map((k) => {
          const all = url.searchParams.getAll(k);
          return [k, all.length === 1 ? all[0] : all];
        })),
        headers: req.headers,
        body,
        // Which connection carried it, to see keep-alive connections reused.
        clientPort: req.socket.remotePort,
      });
      route(req, res, url, body);
    });
  });

  function route(req, res, url, body) {
    const p = url.pathname;
    if (req.method === 'GET' && p === '/api/openapi.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(fs.readFileSync(OPENAPI_FILE));
      return;
    }
    if (req.method === 'GET' && p === '/api/pets') {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      json(res, 200, [...pets.values()].slice(0, limit));
      return;
    }
    if (req.method === 'POST' && p === '/api/pets') {
      let pet;
      try {
        pet = JSON.parse(body);
      } catch {
        json(res, 400, { error: 'the body is not JSON' });
        return;
      }
      const id = Math.max(0, ...pets.keys()) + 1;
      pets.set(id, { id, ...pet });
      json(res, 201, pets.get(id));
      return;
    }
    const one = /^\/api\/pets\/([^/]+)$/.exec(p);
    if (one) {
      const pet = pets.get(Number(decodeURIComponent(one[1])));
      if (!pet) {
        json(res, 404, { error: `no pet ${decodeURIComponent(one[1])}` });
      } else if (req.method === 'DELETE') {
        pets.delete(pet.id);
        res.writeHead(204);
        res.end();
      } else {
        json(res, 200, pet);
      }
      return;
    }
    if (p.startsWith('/api/notes/')) {
      json(res, 201, { stored: true });
      return;
    }
    if (p === '/api/text') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('plain words');
      return;
    }
    if (p === '/api/boom') {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('the database is on fire');
      return;
    }
    if (p === '/api/huge') {
      // Chunked, so the connector can only notice the size while reading.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('[');
      for (let i = 0; i < 2000; i++) res.write(`${i === 0 ? '' : ','}"${'x'.repeat(1000)}"`);
      res.end(']');
      return;
    }
    if (p === '/api/hang') {
      hanging.add(res);
      return;
    }
    json(res, 404, { error: `no route ${req.method} ${p}` });
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
