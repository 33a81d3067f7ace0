import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyError } from './errors.js';
import type { TenantKeyring } from './keys.js';

/**
 * Small secrets kept at rest (TOTP seeds, stored credentials), sealed with AES-256-GCM.
 * Tenant secrets use the tenant's active data key and record its id, so a data-key rotation leaves
 * old seals readable and a master-key rotation (which re-wraps the data keys) needs no re-sealing.
 * The context is bound as associated data: a sealed value copied to another row does not open.
 */
const SEAL_VERSION = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const HEADER_SIZE = 1 + 4 + NONCE_SIZE;

export function sealForTenant(keyring: TenantKeyring, plaintext: Buffer, context: string): Buffer {
  const keyId = keyring.activeDataKeyId;
  const key = keyring.dataKeys.get(keyId);
  if (!key) throw new KeyError(`tenant ${keyring.tenantId} has no active data key`);
  return seal(key, keyId, plaintext, `tenant:${keyring.tenantId}:${context}`);
}

export function openForTenant(keyring: TenantKeyring, sealed: Buffer, context: string): Buffer {
  const keyId = sealed.length >= HEADER_SIZE ? sealed.readUInt32BE(1) : -1;
  const key = keyring.dataKeys.get(keyId);
  if (!key) throw new KeyError(`sealed value for ${context} names an unknown data key ${keyId}`);
  return open(key, sealed, `tenant:${keyring.tenantId}:${context}`);
}

/**
 * Installation-level secrets (a system administrator's TOTP seed) are sealed under the master key
 * (key id 0); a master-key rotation re-seals them (see TenantService.rewrapUnder's caller).
 */
export function sealForSystem(masterKey: Buffer, plaintext: Buffer, context: string): Buffer {
  return seal(masterKey, 0, plaintext, `system:${context}`);
}

export function openForSystem(masterKey: Buffer, sealed: Buffer, context: string): Buffer {
  return open(masterKey, sealed, `system:${context}`);
}

function seal(key: Buffer, keyId: number, plaintext: Buffer, context: string): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header[0] = SEAL_VERSION;
  header.writeUInt32BE(keyId, 1);
  randomBytes(NONCE_SIZE).copy(header, 5);
  const cipher = createCipheriv('aes-256-gcm', key, header.subarray(5), { authTagLength: TAG_SIZE });
  cipher.setAAD(Buffer.concat([header.subarray(0, 5), Buffer.from(context, 'utf8')]));
  return Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < HEADER_SIZE + TAG_SIZE || sealed[0] !== SEAL_VERSION) {
    throw new KeyError(`sealed value for ${context} is damaged or in an unknown format`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(5, HEADER_SIZE), {
      authTagLength: TAG_SIZE,
    });
    decipher.setAAD(Buffer.concat([sealed.subarray(0, 5), Buffer.from(context, 'utf8')]));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    return Buffer.concat([
      decipher.update(sealed.subarray(HEADER_SIZE, sealed.length - TAG_SIZE)),
      decipher.final(),
    ]);
  } catch {
    throw new KeyError(`sealed value for ${context} does not open: wrong key or altered data`);
  }
}
