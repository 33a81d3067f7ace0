import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { IntegrityError, ValidationError } from '../core/errors.js';
import {
  DEFAULT_ARGON2ID_PARAMS,
  WrongPasswordError,
  type Argon2idParams,
  type MailboxKeys,
  type UnlockedMailboxKey,
} from './gateway-crypto.js';
import { runKeyTask, type KeyTask, type KeyTaskOutcome } from './gateway-keys.worker.js';

/**
 * The gateway's password-bound key operations. Each costs one Argon2id derivation (about half a
 * second of CPU with the defaults, decision 0010), so the server runs them on a worker thread.
 */
export interface GatewayKeys {
  readonly params: Argon2idParams;
  create(password: string): Promise<MailboxKeys>;
  /** Throws WrongPasswordError, or IntegrityError for a damaged record. */
  unlock(locked: Uint8Array, password: string): Promise<UnlockedMailboxKey>;
  relock(locked: Uint8Array, oldPassword: string, newPassword: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

type Runner = (task: KeyTask) => Promise<KeyTaskOutcome>;

function unwrap(outcome: KeyTaskOutcome) {
  if ('ok' in outcome) return outcome.ok;
  if (outcome.error === 'wrong-password') throw new WrongPasswordError();
  if (outcome.error === 'integrity') throw new IntegrityError(outcome.message);
  throw new ValidationError(outcome.message);
}

function keysOver(run: Runner, params: Argon2idParams, close: () => Promise<void>): GatewayKeys {
  return {
    params,
    async create(password) {
      const keys = unwrap(await run({ op: 'create', password, params }));
      return { publicKey: keys.publicKey, lockedPrivateKey: keys.lockedPrivateKey! };
    },
    async unlock(locked, password) {
      const keys = unwrap(await run({ op: 'unlock', locked, password }));
      return { publicKey: keys.publicKey, privateKey: keys.privateKey! };
    },
    async relock(locked, oldPassword, newPassword) {
      return unwrap(await run({ op: 'relock', locked, oldPassword, newPassword, params })).lockedPrivateKey!;
    },
    close,
  };
}

/**
 * One worker thread, started on first use and ended after a minute idle: libsodium's WebAssembly
 * heap grows to the Argon2id memory (128 MiB) and never shrinks, so it should not stay around.
 * Logins queue behind each other; the POP3 throttle keeps a flood of wrong passwords out of it.
 */
export function createGatewayKeys(options: { threads: number; params?: Argon2idParams }): GatewayKeys {
  const params = options.params ?? DEFAULT_ARGON2ID_PARAMS;
  const worker = fileURLToPath(new URL('./gateway-keys.worker.js', import.meta.url));
  // Running from TypeScript sources (vitest) there is no compiled worker: derive in this thread.
  if (options.threads <= 0 || !existsSync(worker)) {
    return keysOver(
      async (task) => runKeyTask(task),
      params,
      async () => undefined,
    );
  }
  const pool = new Piscina({
    filename: worker,
    minThreads: 0,
    maxThreads: options.threads,
    idleTimeout: 60_000,
  });
  return keysOver(
    (task) => pool.run(task) as Promise<KeyTaskOutcome>,
    params,
    () => pool.destroy(),
  );
}
