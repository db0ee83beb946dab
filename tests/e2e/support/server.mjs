// Starts build/portcullis on 127.0.0.1 with a free port and stops it again.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.PORTCULLIS_BIN ?? path.join(ROOT, 'build', 'portcullis');

// A bound on waiting, not a performance expectation: generous on purpose.
const STARTUP_BOUND_MS = 60_000;

/**
 * @param {object} options
 * @param {string} options.config   path to a YAML config (relative to the repo root)
 * @param {Record<string,string>} [options.env]
 * @returns {Promise<{url: string, port: number, host: string, stop: () => Promise<number|null>, output: () => string}>}
 */
export async function startServer({ config = 'config/examples/open.yaml', env = {}, args = [] } = {}) {
  const child = spawn(BIN, ['serve', '--config', config, '--listen', '127.0.0.1:0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => { output += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), STARTUP_BOUND_MS);
    child.stdout.on('data', (d) => {
      output += d;
      const m = /serving MCP at (\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)); });
  });
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port),
    host: parsed.hostname,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}
