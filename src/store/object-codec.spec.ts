import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IntegrityError, KeyError } from '../core/errors.js';
import {
  decodeObject,
  encodeObject,
  OBJECT_HEADER_SIZE,
  OBJECT_OVERHEAD,
  readObjectHeader,
  type Compression,
  type ObjectKind,
} from './object-codec.js';

const key1 = randomBytes(32);
const key2 = randomBytes(32);
const keyring = new Map([
  [1, key1],
  [2, key2],
]);
const keyFor = (id: number): Buffer => {
  const k = keyring.get(id);
  if (!k) throw new KeyError(`no data key #${id}`);
  return k;
};
const message = readFileSync(new URL('../../../shared/corpus/postal-mime/mixed.eml', import.meta.url));
const aad = 't1/' + 'ab'.repeat(32);

describe('encodeObject / decodeObject', () => {
  const compressions: Compression[] = ['none', 'gzip', 'brotli', 'zstd', 'zstd-mail-v1'];
  const kinds: ObjectKind[] = ['message', 'skeleton', 'part'];

  it.each(compressions)('round-trips a real message with %s', (compression) => {
    const obj = encodeObject(message, { kind: 'message', keyId: 1, key: key1, aad, compression });
    expect(readObjectHeader(obj)).toMatchObject({ version: 1, kind: 'message', compression, keyId: 1 });
    expect(decodeObject(obj, keyFor, aad).plain.equals(message)).toBe(true);
  });

  it.each(kinds)('keeps the kind %s', (kind) => {
    const obj = encodeObject(message, { kind, keyId: 2, key: key2, aad });
    expect(decodeObject(obj, keyFor, aad).kind).toBe(kind);
  });

  it('compresses mail by default and stores incompressible bytes raw', () => {
    const mail = encodeObject(message, { kind: 'message', keyId: 1, key: key1, aad });
    expect(mail.length).toBeLessThan(message.length * 0.6);
    const noise = randomBytes(5000);
    const obj = encodeObject(noise, { kind: 'part', keyId: 1, key: key1, aad });
    expect(readObjectHeader(obj).compression).toBe('none');
    expect(obj.length).toBe(noise.length + OBJECT_OVERHEAD);
    expect(decodeObject(obj, keyFor, aad).plain.equals(noise)).toBe(true);
  });

  it('round-trips an empty payload', () => {
    const obj = encodeObject(new Uint8Array(0), { kind: 'message', keyId: 1, key: key1, aad });
    expect(decodeObject(obj, keyFor, aad).plain.length).toBe(0);
  });

  it('a flipped bit anywhere is an IntegrityError (a damaged key id is a KeyError naming it)', () => {
    const obj = encodeObject(message.subarray(0, 300), { kind: 'message', keyId: 1, key: key1, aad });
    for (let i = 0; i < obj.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(obj);
        bad[i]! ^= bit;
        const expected = i >= 8 && i < 12 ? KeyError : IntegrityError;
        expect(() => decodeObject(bad, keyFor, aad), `byte ${i} bit ${bit}`).toThrow(expected);
      }
    }
  });

  it('truncation at any length is an IntegrityError', () => {
    const obj = encodeObject(message, { kind: 'message', keyId: 1, key: key1, aad });
    for (const n of [0, 3, OBJECT_HEADER_SIZE, OBJECT_OVERHEAD, obj.length - 17, obj.length - 1]) {
      expect(() => decodeObject(obj.subarray(0, n), keyFor, aad), `length ${n}`).toThrow(IntegrityError);
    }
    expect(() => decodeObject(Buffer.concat([obj, Buffer.of(0)]), keyFor, aad)).toThrow(IntegrityError);
  });

  it('an object copied to another blob key or tenant fails authentication', () => {
    const obj = encodeObject(message, { kind: 'message', keyId: 1, key: key1, aad });
    expect(() => decodeObject(obj, keyFor, 't2/' + 'ab'.repeat(32))).toThrow(IntegrityError);
    expect(() => decodeObject(obj, keyFor, 't1/' + 'cd'.repeat(32))).toThrow(/failed authentication/);
  });

  it('the wrong data key is an IntegrityError; an unknown key id is a KeyError', () => {
    const obj = encodeObject(message, { kind: 'message', keyId: 1, key: key1, aad });
    expect(() => decodeObject(obj, () => key2, aad)).toThrow(IntegrityError);
    const orphan = encodeObject(message, { kind: 'message', keyId: 7, key: key1, aad });
    expect(() => decodeObject(orphan, keyFor, aad)).toThrow(KeyError);
  });

  it('bad magic is reported as not a Postvault object', () => {
    const obj = encodeObject(message, { kind: 'message', keyId: 1, key: key1, aad });
    obj.write('XXXX', 0, 'latin1');
    expect(() => readObjectHeader(obj)).toThrow(/bad magic/);
  });
});
