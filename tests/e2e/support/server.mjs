// Starts build/portcullis on 127.0.0.1 with a free port and stops it again.
// Every server gets its own fresh data directory (PORTCULLIS_DATA_DIR), which
// is removed once it has stopped, so tests never share state and never touch
// the repository's ./var.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.PORTCULLIS_BIN ?? path.join(ROOT, 'build', 'portcullis');

// A bound on waiting, not a performance expectation: generous on purpose.
const STARTUP_BOUND_MS = 60_000;

/** A new empty directory for a server's database and secret key. */
export function makeDataDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-data-'));
}

/** Removes a directory made by makeDataDir(), whatever it holds. */
export async function removeDataDir(dir) {
  await fs.promises.rm(dir, { recursive: true, force: true });
}

/**
 * @param {object} options
 * @param {string} options.config   path to a YAML config (relative to the repo root)
 * @param {Record<string,string>} [options.env]  PORTCULLIS_DATA_DIR here is used
 *        as given (and kept); otherwise a fresh one is made and removed at stop()
 * @returns {Promise<{url: string, port: number, host: string, dataDir: string, stop: () => Promise<number|null>, output: () => string}>}
 */
export async function startServer({ config = 'config/examples/open.yaml', env = {}, args = [] } = {}) {
  const ownDataDir = env.PORTCULLIS_DATA_DIR === undefined;
  const dataDir = ownDataDir ? makeDataDir() : env.PORTCULLIS_DATA_DIR;
  const child = spawn(BIN, ['serve', '--config', config, '--listen', '127.0.0.1:0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORTCULLIS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('close', (code) => resolve(code)))
    .then(async (code) => {
      if (ownDataDir) await removeDataDir(dataDir);
      return code;
    });
  let output = '';
  child.stderr.on('data', (d) => { output += d; });
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), STARTUP_BOUND_MS);
      child.stdout.on('data', (d) => {
        output += d;
        const m = /serving MCP at (\S+)/.exec(output);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)); });
    });
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw e;
  }
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port),
    host: parsed.hostname,
    dataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STARTUP_BOUND_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
