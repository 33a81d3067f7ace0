import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants as zlibConstants,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { Compressor, Decompressor } from 'zstd-napi';
import { IntegrityError, KeyError, PostvaultError } from '../core/errors.js';
import { MAIL_DICTIONARY_V1 } from './mail-dictionary.js';

/**
 * On-disk object format, version 1 (all integers big-endian):
 *
 *   offset  size  field
 *   0       4     magic "PVOB"
 *   4       1     format version (1)
 *   5       1     kind: 0 raw message, 1 skeleton, 2 MIME part body
 *   6       1     compression id (see COMPRESSION_IDS)
 *   7       1     flags, must be 0 (room for a future change without a version bump)
 *   8       4     data key id (uint32)
 *   12      12    AES-GCM nonce
 *   24      n     AES-256-GCM ciphertext of the compressed payload
 *   24+n    16    GCM tag
 *
 * AAD = the 24 header bytes followed by the caller's context string (UTF-8). Authenticating the header
 * stops a downgrade of the kind or compression byte; the context (tenantId/blobKey) stops an object
 * from being accepted under another key or tenant.
 */
export const OBJECT_MAGIC = Buffer.from('PVOB', 'latin1');
export const OBJECT_FORMAT_VERSION = 1;
export const OBJECT_HEADER_SIZE = 24;
export const OBJECT_TAG_SIZE = 16;
/** Fixed bytes every object costs on top of its compressed payload. */
export const OBJECT_OVERHEAD = OBJECT_HEADER_SIZE + OBJECT_TAG_SIZE;

export type ObjectKind = 'message' | 'skeleton' | 'part';
export type Compression = 'none' | 'gzip' | 'brotli' | 'zstd' | 'zstd-mail-v1';

const KIND_IDS: Record<ObjectKind, number> = { message: 0, skeleton: 1, part: 2 };
// Ids are persisted: never renumber, only append.
export const COMPRESSION_IDS: Record<Compression, number> = {
  none: 0,
  gzip: 1,
  brotli: 2,
  zstd: 3,
  'zstd-mail-v1': 4,
};
const KINDS_BY_ID = invert(KIND_IDS);
const COMPRESSIONS_BY_ID = invert(COMPRESSION_IDS);

/** Chosen by src/bench/compression.bench.ts; see docs/decisions/0001-compression.md. */
export const DEFAULT_COMPRESSION: Compression = 'zstd-mail-v1';
/** Level used when the caller does not name one, per algorithm. */
export const DEFAULT_LEVELS: Record<Compression, number> = {
  none: 0,
  gzip: 6,
  brotli: 5,
  zstd: 6,
  // Level 6 keeps level 9's ratio (0.3730 vs 0.3726 on SpamAssassin) at 1.6x its speed.
  'zstd-mail-v1': 6,
};

export interface ObjectHeader {
  version: number;
  kind: ObjectKind;
  compression: Compression;
  keyId: number;
  nonce: Buffer;
}

export interface EncodeOptions {
  kind: ObjectKind;
  keyId: number;
  key: Buffer;
  /** Context bound into the tag; the store passes `${tenantId}/${blobKey}`. */
  aad: string;
  compression?: Compression;
  level?: number;
}

export function encodeObject(plain: Uint8Array, o: EncodeOptions): Buffer {
  if (o.key.length !== 32) throw new KeyError('a data key must be 32 bytes');
  if (!Number.isInteger(o.keyId) || o.keyId < 0 || o.keyId > 0xffffffff) {
    throw new KeyError(`data key id ${o.keyId} is not a uint32`);
  }
  const kindId = KIND_IDS[o.kind];
  if (kindId === undefined) throw new PostvaultError(`unknown object kind ${String(o.kind)}`);

  let compression = o.compression ?? DEFAULT_COMPRESSION;
  let payload = compressPayload(compression, plain, o.level);
  // Already-compressed attachments (zip, jpeg) can grow; storing them raw is smaller and faster to read.
  if (compression !== 'none' && payload.length >= plain.length) {
    compression = 'none';
    payload = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  }

  const header = Buffer.alloc(OBJECT_HEADER_SIZE);
  OBJECT_MAGIC.copy(header, 0);
  header[4] = OBJECT_FORMAT_VERSION;
  header[5] = kindId;
  header[6] = COMPRESSION_IDS[compression];
  header[7] = 0;
  header.writeUInt32BE(o.keyId, 8);
  // Random 96-bit nonces: safe for well under 2^32 objects per key, and keys rotate long before that.
  randomBytes(12).copy(header, 12);

  const cipher = createCipheriv('aes-256-gcm', o.key, header.subarray(12, 24), { authTagLength: 16 });
  cipher.setAAD(Buffer.concat([header, Buffer.from(o.aad, 'utf8')]));
  const body = cipher.update(payload);
  const final = cipher.final();
  return Buffer.concat([header, body, final, cipher.getAuthTag()]);
}

/** Parses the header without decrypting. Throws IntegrityError when it is not a readable object. */
export function readObjectHeader(obj: Uint8Array): ObjectHeader {
  const b = Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength);
  if (b.length < OBJECT_OVERHEAD) {
    throw new IntegrityError(`object is truncated: ${b.length} bytes, shorter than any valid object`);
  }
  if (!b.subarray(0, 4).equals(OBJECT_MAGIC)) {
    throw new IntegrityError('not a Postvault object: bad magic bytes');
  }
  if (b[4] !== OBJECT_FORMAT_VERSION) {
    throw new IntegrityError(`unsupported object format version ${b[4]} (this build reads version 1)`);
  }
  const kind = KINDS_BY_ID.get(b[5]!);
  const compression = COMPRESSIONS_BY_ID.get(b[6]!);
  if (kind === undefined) throw new IntegrityError(`object has an unknown kind byte ${b[5]}`);
  if (compression === undefined) throw new IntegrityError(`object has an unknown compression id ${b[6]}`);
  if (b[7] !== 0) throw new IntegrityError(`object has unknown flags ${b[7]}`);
  return {
    version: b[4],
    kind,
    compression,
    keyId: b.readUInt32BE(8),
    nonce: Buffer.from(b.subarray(12, 24)),
  };
}

/**
 * Authenticates, decrypts and decompresses an object.
 *
 * A damaged key-id field surfaces as KeyError, not IntegrityError: without the key there is no way to
 * tell "damaged" from "keyring incomplete", and the KeyError names the id so verify can tell.
 */
export function decodeObject(
  obj: Uint8Array,
  keyFor: (keyId: number) => Buffer,
  aad: string,
): { kind: ObjectKind; plain: Buffer } {
  const b = Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength);
  const header = readObjectHeader(b);
  const key = lookUpKey(keyFor, header.keyId);

  let payload: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, header.nonce, { authTagLength: 16 });
    decipher.setAAD(Buffer.concat([b.subarray(0, OBJECT_HEADER_SIZE), Buffer.from(aad, 'utf8')]));
    decipher.setAuthTag(b.subarray(b.length - OBJECT_TAG_SIZE));
    const head = decipher.update(b.subarray(OBJECT_HEADER_SIZE, b.length - OBJECT_TAG_SIZE));
    payload = Buffer.concat([head, decipher.final()]);
  } catch {
    throw new IntegrityError(
      'object failed authentication: it is damaged or truncated, was moved to another key or tenant, ' +
        'or was not written under this data key',
      { keyId: header.keyId },
    );
  }

  try {
    return { kind: header.kind, plain: decompressPayload(header.compression, payload) };
  } catch (err) {
    // Authenticated but undecodable means our own writer was wrong; still never hand the bytes out.
    throw new IntegrityError(`object authenticated but its ${header.compression} payload does not decode`, {
      cause: String(err),
    });
  }
}

function lookUpKey(keyFor: (keyId: number) => Buffer, keyId: number): Buffer {
  let key: Buffer | undefined;
  try {
    key = keyFor(keyId);
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError(`data key #${keyId} named by the object is not available: ${String(err)}`, { keyId });
  }
  if (!key)
    throw new KeyError(`data key #${keyId} named by the object is not in this tenant's keyring`, { keyId });
  if (key.length !== 32) throw new KeyError(`data key #${keyId} is not 32 bytes`, { keyId });
  return key;
}

// zstd contexts are reused: creating one per message costs more than compressing a small message.
const zstdCompressors = new Map<string, Compressor>();
let zstdDecompressor: Decompressor | undefined;
let zstdDictDecompressor: Decompressor | undefined;

function zstdCompressor(level: number, dictionary: boolean): Compressor {
  const id = `${level}:${dictionary}`;
  let c = zstdCompressors.get(id);
  if (!c) {
    c = new Compressor();
    // Parameters must be set before the dictionary is loaded (zstd-napi rule).
    c.setParameters({ compressionLevel: level, checksumFlag: false });
    if (dictionary) c.loadDictionary(MAIL_DICTIONARY_V1);
    zstdCompressors.set(id, c);
  }
  return c;
}

/** Exported for the compression benchmark, which must measure exactly what the store writes. */
export function compressPayload(compression: Compression, data: Uint8Array, level?: number): Buffer {
  const lvl = level ?? DEFAULT_LEVELS[compression];
  switch (compression) {
    case 'none':
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 'gzip':
      return gzipSync(data, { level: lvl });
    case 'brotli':
      return brotliCompressSync(data, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: lvl,
          [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.byteLength,
        },
      });
    case 'zstd':
      return zstdCompressor(lvl, false).compress(data);
    case 'zstd-mail-v1':
      return zstdCompressor(lvl, true).compress(data);
  }
}

export function decompressPayload(compression: Compression, data: Uint8Array): Buffer {
  switch (compression) {
    case 'none':
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 'gzip':
      return gunzipSync(data);
    case 'brotli':
      return brotliDecompressSync(data);
    case 'zstd':
      zstdDecompressor ??= new Decompressor();
      return zstdDecompressor.decompress(data);
    case 'zstd-mail-v1':
      if (!zstdDictDecompressor) {
        zstdDictDecompressor = new Decompressor();
        zstdDictDecompressor.loadDictionary(MAIL_DICTIONARY_V1);
      }
      return zstdDictDecompressor.decompress(data);
  }
}

function invert<K extends string>(m: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}
