// A deliberately misbehaving MCP server over stdio (2025-11-25, newline-
// delimited JSON-RPC), for the mcp_upstream connector's tests:
//
//   node fake-upstream.mjs [--down-while FILE] [--modern]
//
// With --modern it speaks 2026-07-28 instead: it answers server/discover,
// refuses requests without the protocol version in _meta, and sends list
// changes on the subscriptions/listen stream the client opened.
// It writes a line that is not JSON and a reply to an id nobody asked for
// before answering initialize. Its tools:
//   ok          answers "fine"
//   noisy       writes garbage and fields of the wrong type, then answers "still fine"
//   bad_result  answers with a result that is not an object
//   huge        writes a line larger than any message the gateway accepts
//   grow        adds the tool "grown" and sends tools/list_changed
//   exit        exits the process
//   meta        answers with the request's _meta
//   wait        writes "waiting <requestId>" to stderr and never answers; a
//               notifications/cancelled is written as "cancelled <requestId>"
// With --down-while FILE it exits at once, before speaking, while FILE exists.
// With --describe-ok FILE the tool ok's description is FILE's content, read
// at every tools/list (so a test can change the definition between runs).
import fs from 'node:fs';
import readline from 'node:readline';

const downWhile = process.argv.indexOf('--down-while');
if (downWhile !== -1 && fs.existsSync(process.argv[downWhile + 1])) process.exit(3);

const modern = process.argv.includes('--modern');
const describeOkAt = process.argv.indexOf('--describe-ok');
const describeOk = describeOkAt === -1 ? undefined : process.argv[describeOkAt + 1];
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const tools = ['ok', 'noisy', 'bad_result', 'huge', 'grow', 'exit', 'wait', 'meta'];
let listenId;
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const reply = (id, result) => send({ jsonrpc: '2.0', id, result });
const text = (t) => ({ content: [{ type: 'text', text: t }] });

function callTool(id, name, meta) {
  switch (name) {
    case 'ok':
      return reply(id, text('fine'));
    case 'noisy':
      process.stdout.write('this is not JSON\n{"jsonrpc":"2.0","id":"nobody","result":{}}\n');
      // Fields of the wrong type, during the call.
      send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 7, logger: [], data: 'x' } });
      send({ jsonrpc: '2.0', method: 42 });
      send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: 'not an object' });
      return reply(id, text('still fine'));
    case 'bad_result':
      return reply(id, [1, 2, 3]);
    case 'huge':
      // 17 MiB without a newline: more than the gateway reads as one line.
      return process.stdout.write('x'.repeat(17 * 1024 * 1024));
    case 'grow':
      if (!tools.includes('grown')) tools.push('grown');
      reply(id, text('grown'));
      if (!modern) return send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
      return send({
        jsonrpc: '2.0',
        method: 'notifications/tools/list_changed',
        params: { _meta: { 'io.modelcontextprotocol/subscriptionId': listenId } },
      });
    case 'meta':
      return reply(id, text(JSON.stringify(meta ?? null)));
    case 'grown':
      return reply(id, text('I am new'));
    case 'exit':
      return process.exit(0);
    case 'wait':
      return process.stderr.write(`waiting ${JSON.stringify(id)}\n`);
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${name}` } });
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) {
    if (m.method === 'notifications/cancelled') process.stderr.write(`cancelled ${JSON.stringify(m.params.requestId)}\n`);
    return;
  }
  if (modern && m.method !== 'server/discover' && m.params?._meta?.[VERSION_KEY] !== '2026-07-28') {
    return send({ jsonrpc: '2.0', id: m.id, error: { code: -32602, message: `_meta lacks ${VERSION_KEY}` } });
  }
  switch (m.method) {
    case 'server/discover':
      if (!modern) break;
      return reply(m.id, { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: { tools: { listChanged: true } } });
    case 'subscriptions/listen':
      listenId = m.id;
      return send({
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { _meta: { 'io.modelcontextprotocol/subscriptionId': m.id }, notifications: m.params.notifications },
      });
    case 'initialize':
      process.stdout.write('garbage before the handshake\n');
      send({ jsonrpc: '2.0', id: 424242, result: {} });
      return reply(m.id, {
        protocolVersion: '2025-11-25',
        capabilities: { tools: { listChanged: true } },
        serverInfo: { name: 'fake-upstream', version: '1.0.0' },
      });
    case 'tools/list':
      return reply(m.id, {
        tools: tools.map((name) => ({
          name,
          inputSchema: { type: 'object' },
          ...(name === 'ok' && describeOk ? { description: fs.readFileSync(describeOk, 'utf8') } : {}),
        })),
      });
    case 'tools/call':
      return callTool(m.id, m.params.name, m.params._meta);
    default:
      break;
  }
  return send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: `Method not found: ${m.method}` } });
});
