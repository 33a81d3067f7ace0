import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cliPath } from './paths.js';
import { tempDir } from './temp-app.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface StartServeOptions {
  /** An existing data folder to run on; it is kept on stop and kill (default: a throwaway one). */
  dataDir?: string;
  /** The HTTP port (default: a free one), e.g. to restart on the same port. */
  httpPort?: number;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/**
 * `postvault serve` as a real process on a loopback port and a data folder. The journal SMTP
 * listener is off (POSTVAULT_JOURNAL_SMTP_PORT=0) unless `env` sets a port.
 */
export async function startServe(env: Record<string, string> = {}, options: StartServeOptions = {}) {
  const dir = options.dataDir === undefined ? tempDir('postvault-serve-') : undefined;
  const dataDir = options.dataDir ?? dir!.path;
  const port = options.httpPort ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [cliPath, 'serve'], {
    env: {
      ...process.env,
      POSTVAULT_DATA_DIR: dataDir,
      POSTVAULT_HTTP_PORT: String(port),
      POSTVAULT_JOURNAL_SMTP_PORT: '0',
      POSTVAULT_GATEWAY_SMTP_PORT: '0',
      POSTVAULT_GATEWAY_POP3_PORT: '0',
      POSTVAULT_LOG_LEVEL: 'warn',
      POSTVAULT_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      dir?.remove();
      throw new Error(`postvault serve exited early:\n${output}`);
    }
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited(child);
      dir?.remove();
      throw new Error(`postvault serve did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    pid: child.pid,
    dataDir,
    output: () => output,
    /** SIGTERM (graceful shutdown), waits for the exit; removes a throwaway data folder. */
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      dir?.remove();
    },
    /** SIGKILL (a crash: no shutdown code runs), waits for the exit; the data folder stays. */
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
