import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from './errors.js';

export const MASTER_KEY_FILE = 'master.key';
const KEY_SIZE = 32;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
/** Version byte in front of every wrapped key, so the wrapping scheme can change without guessing. */
const WRAP_VERSION = 1;

const UNWRAP_FAILED =
  "the master key does not open this data folder's keys — wrong POSTVAULT_MASTER_KEY or master.key?";

/** A tenant's keys, unwrapped, as the store needs them. */
export interface TenantKeyring {
  tenantId: number;
  /** HMAC key for blob keys: dedup within the tenant, nothing learnable across tenants. */
  dedupKey: Buffer;
  /** Key id new objects are written under; older ids stay readable after a rotation. */
  activeDataKeyId: number;
  dataKeys: Map<number, Buffer>;
}

/**
 * The installation master key. `fromEnv` (POSTVAULT_MASTER_KEY, base64 of 32 bytes) wins over the file;
 * otherwise `<dataDir>/master.key` is read, or created on first start. The caller passes the env value
 * in, so this module never reads process.env itself.
 */
export function loadOrCreateMasterKey(dataDir: string, fromEnv?: string): Buffer {
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return decodeMasterKey(fromEnv, 'POSTVAULT_MASTER_KEY');
  }
  const file = join(dataDir, MASTER_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return createMasterKeyFile(dataDir, file);
  }
  return decodeMasterKey(text, file);
}

function decodeMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  // Buffer.from(…, 'base64') silently skips junk, so check the alphabet first.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new KeyError(`${source} is not base64 text; expected the base64 of ${KEY_SIZE} random bytes`);
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_SIZE) {
    throw new KeyError(
      `${source} holds ${key.length} bytes; a master key is base64 of exactly ${KEY_SIZE} bytes`,
    );
  }
  return key;
}

/**
 * Temp file + fsync + rename + directory fsync: a crash leaves either no key or the whole key, never a
 * truncated one that would lock the installation out of its own data.
 */
function createMasterKeyFile(dataDir: string, file: string): Buffer {
  const key = randomBytes(KEY_SIZE);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    // link-then-unlink would also work; rename is enough because a concurrent first start is not a
    // supported case, and 'wx' on the temp name keeps two writers from sharing one file.
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDirectory(dataDir);
  return key;
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function newKey(): Buffer {
  return randomBytes(KEY_SIZE);
}

/**
 * Wrapped form: version (1) ‖ nonce (12) ‖ ciphertext (32) ‖ tag (16). `context` is the AAD
 * (e.g. `tenant:<id>:data:<keyId>`), so a wrapped key copied to another tenant or slot does not open.
 */
export function wrapKey(master: Buffer, key: Buffer, context: string): Buffer {
  if (master.length !== KEY_SIZE) throw new KeyError(`the master key must be ${KEY_SIZE} bytes`);
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', master, nonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(aadOf(context));
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([Buffer.of(WRAP_VERSION), nonce, body, cipher.getAuthTag()]);
}

export function unwrapKey(master: Buffer, wrapped: Buffer, context: string): Buffer {
  if (master.length !== KEY_SIZE) throw new KeyError(`the master key must be ${KEY_SIZE} bytes`);
  if (wrapped.length < 1 + NONCE_SIZE + TAG_SIZE + 1 || wrapped[0] !== WRAP_VERSION) {
    throw new KeyError(`wrapped key for ${context} is damaged or in an unknown format`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', master, wrapped.subarray(1, 1 + NONCE_SIZE), {
      authTagLength: TAG_SIZE,
    });
    decipher.setAAD(aadOf(context));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_SIZE));
    return Buffer.concat([
      decipher.update(wrapped.subarray(1 + NONCE_SIZE, wrapped.length - TAG_SIZE)),
      decipher.final(),
    ]);
  } catch {
    throw new KeyError(UNWRAP_FAILED, { context });
  }
}

function aadOf(context: string): Buffer {
  return Buffer.from(`postvault-key-wrap-v1\0${context}`, 'utf8');
}

/** Content address of a blob within one tenant: hex HMAC-SHA-256 under the tenant's dedup key. */
export function blobKeyOf(dedupKey: Buffer, bytes: Uint8Array): string {
  return createHmac('sha256', dedupKey).update(bytes).digest('hex');
}

/**
 * Key of a shared MIME part. Domain-separated from message keys: a message whose bytes equal a part
 * already stored (a single-part message's body) must not collide with that part's object.
 */
export function partKeyOf(dedupKey: Buffer, bytes: Uint8Array): string {
  return createHmac('sha256', dedupKey).update('part\0').update(bytes).digest('hex');
}
