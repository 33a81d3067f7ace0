import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './paths.js';
import { freePort } from './server-process.js';
import { tempDir } from './temp-app.js';

const run = promisify(execFile);
const script = join(projectRoot, 'scripts', 'postfix-relay.sh');

export interface PostfixRelay {
  /** The Postfix smtpd: send here (127.0.0.1). */
  listenPort: number;
  /** Where Postfix relays to: [127.0.0.1]:relayPort. */
  relayPort: number;
  /** The throwaway folder with etc/, spool/ and postfix.log. */
  base: string;
  /**
   * Messages in the queue (`postqueue -p`). A snapshot: while qmgr moves a message between the
   * active and deferred queues it can be counted twice or not at all, so poll until it stays 0.
   */
  queueSize(): Promise<number>;
  /** Retry every deferred message now (`postqueue -f`). */
  flush(): Promise<void>;
  /** Postfix's log (maillog_file), '' before the first line. */
  log(): string;
  /** Stops Postfix (waits until the master is gone) and removes the folder unless `keep`. */
  stop(options?: { keep?: boolean }): Promise<void>;
}

/** Whether this machine can run the relay: Postfix installed, and we are root (it needs to be). */
export function postfixAvailable(): { ok: boolean; reason: string } {
  const root = process.getuid?.() === 0;
  const installed = existsSync('/usr/sbin/postfix');
  if (root && installed) return { ok: true, reason: '' };
  return {
    ok: false,
    reason: [root ? '' : 'not running as root', installed ? '' : 'postfix is not installed']
      .filter(Boolean)
      .join(' and '),
  };
}

/**
 * A real Postfix relaying to 127.0.0.1:relayPort (scripts/postfix-relay.sh; recipe in
 * shared/recipes/README.md): its own config folder and a free listen port, so parallel runs do not
 * collide.
 */
export async function startPostfixRelay(o: { relayPort: number }): Promise<PostfixRelay> {
  const dir = tempDir('postvault-postfix-');
  const listenPort = await freePort();
  const base = dir.path;
  try {
    await run('bash', [script, 'start', base, String(listenPort), String(o.relayPort)], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    await run('bash', [script, 'stop', base], { timeout: 60_000 }).catch(() => undefined);
    dir.remove();
    throw new Error(`could not start the Postfix relay: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: err,
    });
  }
  let stopped = false;
  return {
    listenPort,
    relayPort: o.relayPort,
    base,
    async queueSize() {
      const { stdout } = await run('bash', [script, 'queue', base], { timeout: 60_000 });
      const n = Number.parseInt(stdout.trim(), 10);
      if (!Number.isInteger(n)) throw new Error(`postfix-relay.sh queue printed ${JSON.stringify(stdout)}`);
      return n;
    },
    async flush() {
      await run('bash', [script, 'flush', base], { timeout: 60_000 });
    },
    log() {
      const file = join(base, 'postfix.log');
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      await run('bash', [script, 'stop', base], { timeout: 60_000 });
      if (!options.keep) dir.remove();
    },
  };
}
