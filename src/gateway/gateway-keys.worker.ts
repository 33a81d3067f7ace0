import { IntegrityError } from '../core/errors.js';
import {
  WrongPasswordError,
  createMailboxKeys,
  relockPrivateKey,
  unlockPrivateKey,
  type Argon2idParams,
} from './gateway-crypto.js';

/** One Argon2id-bound operation; run on a worker thread so the listeners keep answering. */
export type KeyTask =
  | { op: 'create'; password: string; params: Argon2idParams }
  | { op: 'unlock'; locked: Uint8Array; password: string }
  | { op: 'relock'; locked: Uint8Array; oldPassword: string; newPassword: string; params: Argon2idParams };

/** Errors cross the thread boundary as a kind: their classes do not survive structured cloning. */
export type KeyTaskOutcome =
  | { ok: { publicKey: Uint8Array; privateKey?: Uint8Array; lockedPrivateKey?: Uint8Array } }
  | { error: 'wrong-password' | 'integrity' | 'other'; message: string };

export function runKeyTask(task: KeyTask): KeyTaskOutcome {
  try {
    switch (task.op) {
      case 'create':
        return { ok: createMailboxKeys(task.password, task.params) };
      case 'unlock':
        return { ok: unlockPrivateKey(task.locked, task.password) };
      case 'relock': {
        const lockedPrivateKey = relockPrivateKey(
          task.locked,
          task.oldPassword,
          task.newPassword,
          task.params,
        );
        return { ok: { publicKey: new Uint8Array(0), lockedPrivateKey } };
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof WrongPasswordError) return { error: 'wrong-password', message };
    if (error instanceof IntegrityError) return { error: 'integrity', message };
    return { error: 'other', message };
  }
}

/** Piscina entry point. */
export default function keyTask(task: KeyTask): KeyTaskOutcome {
  return runKeyTask(task);
}
