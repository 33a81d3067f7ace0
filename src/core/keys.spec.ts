import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyError } from './errors.js';
import { blobKeyOf, loadOrCreateMasterKey, newKey, unwrapKey, wrapKey } from './keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pv-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateMasterKey', () => {
  it('creates master.key on first start with mode 0600 and reads the same key back', () => {
    const first = loadOrCreateMasterKey(dir);
    expect(first).toHaveLength(32);
    const file = join(dir, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first)).toBe(true);
    expect(loadOrCreateMasterKey(dir).equals(first)).toBe(true);
    expect(readdirSync(dir)).toEqual(['master.key']);
  });

  it('prefers the key given by the environment and does not create a file', () => {
    const key = newKey();
    expect(loadOrCreateMasterKey(dir, key.toString('base64')).equals(key)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects a malformed environment key with a KeyError naming the variable', () => {
    expect(() => loadOrCreateMasterKey(dir, 'not base64!')).toThrow(/POSTVAULT_MASTER_KEY/);
    expect(() => loadOrCreateMasterKey(dir, Buffer.alloc(16).toString('base64'))).toThrow(KeyError);
  });

  it('rejects a master.key of the wrong length or format instead of replacing it', () => {
    writeFileSync(join(dir, 'master.key'), Buffer.alloc(31).toString('base64'));
    expect(() => loadOrCreateMasterKey(dir)).toThrow(/31 bytes/);
    writeFileSync(join(dir, 'master.key'), '%%% garbage %%%');
    expect(() => loadOrCreateMasterKey(dir)).toThrow(KeyError);
    expect(readFileSync(join(dir, 'master.key'), 'utf8')).toBe('%%% garbage %%%');
  });
});

describe('wrapKey / unwrapKey', () => {
  const master = newKey();
  const key = newKey();
  const ctx = 'tenant:t1:data:1';

  it('round-trips a key under its context, with a fresh nonce each time', () => {
    const a = wrapKey(master, key, ctx);
    const b = wrapKey(master, key, ctx);
    expect(a.equals(b)).toBe(false);
    expect(unwrapKey(master, a, ctx).equals(key)).toBe(true);
  });

  it('a wrong master key gives the KeyError that tells the operator what to check', () => {
    const wrapped = wrapKey(master, key, ctx);
    expect(() => unwrapKey(newKey(), wrapped, ctx)).toThrow(KeyError);
    expect(() => unwrapKey(newKey(), wrapped, ctx)).toThrow(
      "the master key does not open this data folder's keys — wrong POSTVAULT_MASTER_KEY or master.key?",
    );
  });

  it('a wrapped key moved to another tenant or slot, or damaged, does not open', () => {
    const wrapped = wrapKey(master, key, ctx);
    expect(() => unwrapKey(master, wrapped, 'tenant:t2:data:1')).toThrow(KeyError);
    for (let i = 0; i < wrapped.length; i++) {
      const bad = Buffer.from(wrapped);
      bad[i]! ^= 0x01;
      expect(() => unwrapKey(master, bad, ctx)).toThrow(KeyError);
    }
    expect(() => unwrapKey(master, wrapped.subarray(0, 20), ctx)).toThrow(KeyError);
  });
});

describe('blobKeyOf', () => {
  it('is a stable hex HMAC-SHA-256 that differs between tenants', () => {
    const bytes = Buffer.from('Subject: hi\r\n\r\nhello\r\n');
    const k1 = newKey();
    expect(blobKeyOf(k1, bytes)).toMatch(/^[0-9a-f]{64}$/);
    expect(blobKeyOf(k1, bytes)).toBe(blobKeyOf(k1, Buffer.from(bytes)));
    expect(blobKeyOf(newKey(), bytes)).not.toBe(blobKeyOf(k1, bytes));
  });
});
