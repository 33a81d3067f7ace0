import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { invalidField } from '../core/errors.js';

/**
 * argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane). @node-rs/argon2 runs on
 * libuv's thread pool, so a sign-in does not block the event loop.
 */
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of a password nobody has: checked against unknown accounts so timing does not tell them apart. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

export const MIN_PASSWORD_LENGTH = 10;

/** The one password rule, for every place a password is chosen; `field` names the input. */
export function checkPasswordRule(password: string, field = 'newPassword'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    invalidField(field, `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

/** 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I): about 115 bits. */
export function generatePassword(length = 20): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    // 256 % 57 != 0: skip the top values so every character is equally likely.
    const value = bytes[i]!;
    if (value < 256 - (256 % alphabet.length)) out += alphabet[value % alphabet.length];
  }
  return out.length === length ? out : generatePassword(length);
}
