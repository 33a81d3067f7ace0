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

/** `postvault serve` as a real process on a free loopback port and a throwaway data folder. */
export async function startServe(env: Record<string, string> = {}) {
  const dir = tempDir('postvault-serve-');
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [cliPath, 'serve'], {
    env: {
      ...process.env,
      POSTVAULT_DATA_DIR: dir.path,
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
    if (child.exitCode !== null) throw new Error(`postvault serve exited early:\n${output}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) throw new Error(`postvault serve did not answer within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dataDir: dir.path,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      dir.remove();
    },
  };
}
