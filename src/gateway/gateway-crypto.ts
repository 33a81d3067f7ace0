import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import sodium, { type StateAddress } from 'libsodium-wrappers-sumo';
import { IntegrityError, KeyError, UnauthenticatedError, ValidationError } from '../core/errors.js';

/**
 * The cryptographic core of gateway mailboxes (issue 9), all from libsodium; see
 * docs/decisions/0010-gateway-crypto.md.
 *
 * - A mailbox has an X25519 key pair. Mail is encrypted for the public key, so intake needs no secret.
 * - The private key is kept only encrypted (XChaCha20-Poly1305) under a key derived from the mailbox
 *   password with Argon2id; the parameters are recorded in the locked bytes. Nothing else about the
 *   password is stored: a wrong password shows as the authenticated decryption failing.
 * - Each message gets a fresh random key, sealed to the public key (crypto_box_seal); the content is a
 *   crypto_secretstream_xchacha20poly1305 stream in fixed-size chunks ending with TAG_FINAL, so
 *   truncation, reordering and tampering are all detected.
 *
 * Errors never carry key material or the password.
 */
await sodium.ready;

/** The password was wrong (or is not a gateway password at all): the key did not open. */
export class WrongPasswordError extends UnauthenticatedError {
  override name = 'WrongPasswordError';
  constructor() {
    super('wrong mailbox password');
  }
}

// ---------------------------------------------------------------------------------------------------
// Passwords

/** Crockford's base32 alphabet: digits and letters without I, L, O and U. */
export const PASSWORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const PASSWORD_GROUPS = 7;
export const PASSWORD_GROUP_LENGTH = 4;
const PASSWORD_CHARS = PASSWORD_GROUPS * PASSWORD_GROUP_LENGTH;
/** 28 characters of 5 bits each. */
export const PASSWORD_ENTROPY_BITS = PASSWORD_CHARS * 5;

/**
 * A new mailbox password: 140 random bits from the operating system's CSPRNG, written as
 * 7 groups of 4 Crockford base32 characters, e.g. `7K3Q-D9XM-2PAB-...`. Shown once, never stored.
 */
export function generateGatewayPassword(): string {
  const bytes = randomBytes(PASSWORD_CHARS);
  // 256 is a multiple of 32, so the low five bits of a random byte are uniform.
  let chars = '';
  for (const b of bytes) chars += PASSWORD_ALPHABET[b & 31]!;
  bytes.fill(0);
  return groupPassword(chars);
}

/**
 * Normalizes what a person or a POP3 client typed: case, dashes and white space do not matter, and
 * Crockford's look-alikes are read as meant (O → 0, I and L → 1). Returns the canonical grouped form,
 * or throws ValidationError when it cannot be a gateway password.
 */
export function parseGatewayPassword(input: string): string {
  const chars = input
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (chars.length !== PASSWORD_CHARS || [...chars].some((c) => !PASSWORD_ALPHABET.includes(c))) {
    throw new ValidationError(
      `a gateway password is ${PASSWORD_GROUPS} groups of ${PASSWORD_GROUP_LENGTH} characters`,
    );
  }
  return groupPassword(chars);
}

function groupPassword(chars: string): string {
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += PASSWORD_GROUP_LENGTH) {
    groups.push(chars.slice(i, i + PASSWORD_GROUP_LENGTH));
  }
  return groups.join('-');
}

/** The bytes given to Argon2id: the canonical characters without dashes. */
function passwordBytes(canonical: string): Uint8Array {
  return Buffer.from(canonical.replace(/-/g, ''), 'ascii');
}

// ---------------------------------------------------------------------------------------------------
// Mailbox keys

/**
 * Locked private key, version 1 (integers big-endian):
 *
 *   offset  size  field
 *   0       4     magic "PVGK"
 *   4       1     format version (1)
 *   5       1     KDF id: 1 = Argon2id v1.3 (crypto_pwhash ALG_ARGON2ID13, one lane)
 *   6       4     opslimit (Argon2 passes)
 *   10      4     memlimit in KiB
 *   14      16    salt
 *   30      24    XChaCha20-Poly1305 nonce
 *   54      48    ciphertext of the 32-byte X25519 private key + 16-byte tag
 *
 * AAD = the 54 header bytes, so the recorded parameters cannot be altered without the tag failing.
 */
const LOCK_MAGIC = Buffer.from('PVGK', 'latin1');
const LOCK_VERSION = 1;
const KDF_ARGON2ID13 = 1;
const LOCK_HEADER_SIZE = 54;
const LOCKED_KEY_SIZE = LOCK_HEADER_SIZE + 32 + 16;

export interface Argon2idParams {
  /** Argon2 passes (crypto_pwhash opslimit). */
  opslimit: number;
  /** Memory in bytes (crypto_pwhash memlimit); recorded in KiB. */
  memlimit: number;
}

/**
 * Between libsodium's INTERACTIVE (2 passes, 64 MiB) and MODERATE (3 passes, 256 MiB): about 0.6 s
 * per unlock in libsodium's WebAssembly build (measured in docs/decisions/0010). An unlock happens
 * once per POP3 session; the password's 140 random bits are what resist guessing, the KDF cost is a
 * second line.
 */
export const DEFAULT_ARGON2ID_PARAMS: Readonly<Argon2idParams> = Object.freeze({
  opslimit: 4,
  memlimit: 128 * 1024 * 1024,
});

/** Bounds accepted from stored bytes, so a damaged record cannot ask for gigabytes or hours. */
const MAX_OPSLIMIT = 64;
const MAX_MEMLIMIT = 1024 * 1024 * 1024;

export interface MailboxKeys {
  publicKey: Uint8Array;
  /** Store this; only the password opens it. */
  lockedPrivateKey: Uint8Array;
}

export interface UnlockedMailboxKey {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** A new X25519 key pair whose private key is returned only locked under the password. */
export function createMailboxKeys(
  password: string,
  params: Argon2idParams = DEFAULT_ARGON2ID_PARAMS,
): MailboxKeys {
  const canonical = parseGatewayPassword(password);
  const pair = sodium.crypto_box_keypair();
  try {
    return {
      publicKey: pair.publicKey,
      lockedPrivateKey: lockPrivateKey(pair.privateKey, canonical, params),
    };
  } finally {
    sodium.memzero(pair.privateKey);
  }
}

/** The parameters a locked key was made with (no password needed). */
export function readLockedKeyParams(locked: Uint8Array): Argon2idParams {
  return parseLockHeader(locked).params;
}

/**
 * Opens the private key. A wrong password, or input that is not a gateway password, throws
 * WrongPasswordError; a damaged record throws IntegrityError.
 */
export function unlockPrivateKey(locked: Uint8Array, password: string): UnlockedMailboxKey {
  const { params, salt, nonce } = parseLockHeader(locked);
  let canonical: string;
  try {
    canonical = parseGatewayPassword(password);
  } catch {
    throw new WrongPasswordError();
  }
  const key = deriveKey(canonical, salt, params);
  let privateKey: Uint8Array;
  try {
    privateKey = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      locked.subarray(LOCK_HEADER_SIZE),
      locked.subarray(0, LOCK_HEADER_SIZE),
      nonce,
      key,
    );
  } catch {
    throw new WrongPasswordError();
  } finally {
    sodium.memzero(key);
  }
  return { publicKey: sodium.crypto_scalarmult_base(privateKey), privateKey };
}

/**
 * "Reset with the current password": the same key pair, locked under a new password with a fresh
 * salt and nonce and the current default parameters. Content stays readable; the old password stops
 * working once the caller replaces the stored bytes.
 */
export function relockPrivateKey(
  locked: Uint8Array,
  oldPassword: string,
  newPassword: string,
  params: Argon2idParams = DEFAULT_ARGON2ID_PARAMS,
): Uint8Array {
  const canonicalNew = parseGatewayPassword(newPassword);
  const { privateKey } = unlockPrivateKey(locked, oldPassword);
  try {
    return lockPrivateKey(privateKey, canonicalNew, params);
  } finally {
    sodium.memzero(privateKey);
  }
}

/** Overwrites a private key (or any key) in place once the caller is done with it. */
export function wipeKey(key: Uint8Array): void {
  sodium.memzero(key);
}

function lockPrivateKey(privateKey: Uint8Array, canonical: string, params: Argon2idParams): Uint8Array {
  checkParams(params);
  const header = Buffer.alloc(LOCK_HEADER_SIZE);
  LOCK_MAGIC.copy(header, 0);
  header[4] = LOCK_VERSION;
  header[5] = KDF_ARGON2ID13;
  header.writeUInt32BE(params.opslimit, 6);
  header.writeUInt32BE(params.memlimit / 1024, 10);
  const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  header.set(salt, 14);
  header.set(nonce, 30);
  const key = deriveKey(canonical, salt, params);
  try {
    const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(privateKey, header, null, nonce, key);
    return new Uint8Array(Buffer.concat([header, sealed]));
  } finally {
    sodium.memzero(key);
  }
}

function deriveKey(canonical: string, salt: Uint8Array, params: Argon2idParams): Uint8Array {
  const pw = passwordBytes(canonical);
  try {
    return sodium.crypto_pwhash(
      sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
      pw,
      salt,
      params.opslimit,
      params.memlimit,
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
  } finally {
    sodium.memzero(pw);
  }
}

function checkParams(p: Argon2idParams): void {
  if (
    !Number.isInteger(p.opslimit) ||
    p.opslimit < sodium.crypto_pwhash_OPSLIMIT_MIN ||
    p.opslimit > MAX_OPSLIMIT ||
    !Number.isInteger(p.memlimit) ||
    p.memlimit % 1024 !== 0 ||
    p.memlimit < sodium.crypto_pwhash_MEMLIMIT_MIN ||
    p.memlimit > MAX_MEMLIMIT
  ) {
    throw new ValidationError(
      `Argon2id parameters out of range: opslimit ${p.opslimit}, memlimit ${p.memlimit}`,
    );
  }
}

function parseLockHeader(locked: Uint8Array): {
  params: Argon2idParams;
  salt: Uint8Array;
  nonce: Uint8Array;
} {
  const b = Buffer.from(locked.buffer, locked.byteOffset, locked.byteLength);
  if (b.length !== LOCKED_KEY_SIZE || !b.subarray(0, 4).equals(LOCK_MAGIC)) {
    throw new IntegrityError('not a locked gateway mailbox key');
  }
  if (b[4] !== LOCK_VERSION) throw new IntegrityError(`unsupported locked key version ${b[4]}`);
  if (b[5] !== KDF_ARGON2ID13) throw new IntegrityError(`locked key names an unknown KDF ${b[5]}`);
  const params = { opslimit: b.readUInt32BE(6), memlimit: b.readUInt32BE(10) * 1024 };
  try {
    checkParams(params);
  } catch {
    throw new IntegrityError('locked key records Argon2id parameters out of range');
  }
  return { params, salt: b.subarray(14, 30), nonce: b.subarray(30, 54) };
}

// ---------------------------------------------------------------------------------------------------
// Messages

/**
 * Encrypted message, version 1 (integers big-endian):
 *
 *   offset  size  field
 *   0       4     magic "PVGM"
 *   4       1     format version (1)
 *   5       1     flags, must be 0
 *   6       4     plaintext chunk size (bytes)
 *   10      80    crypto_box_seal of the message's random 32-byte secretstream key
 *   90      24    crypto_secretstream_xchacha20poly1305 header
 *   114     ...   chunks: every chunk but the last holds exactly `chunk size` plaintext bytes
 *                 (+17 bytes of tag and overhead) with TAG_MESSAGE; the last holds 0..chunk size
 *                 bytes with TAG_FINAL.
 *
 * Every chunk carries the first 10 header bytes as additional data.
 */
const MESSAGE_MAGIC = Buffer.from('PVGM', 'latin1');
const MESSAGE_VERSION = 1;
const SEALED_KEY_SIZE = 32 + 48; // key + crypto_box_SEALBYTES
const MESSAGE_PREFIX_SIZE = 10;
const STREAM_HEADER_SIZE = 24;
export const MESSAGE_HEADER_SIZE = MESSAGE_PREFIX_SIZE + SEALED_KEY_SIZE + STREAM_HEADER_SIZE;
const CHUNK_OVERHEAD = 17; // crypto_secretstream_xchacha20poly1305_ABYTES
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

/** DER prefix of an X25519 SubjectPublicKeyInfo; the 32 key bytes follow. */
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_16 = new Uint8Array(16);
let recipientKeys = new Map<string, KeyObject>();

/**
 * Exactly libsodium's crypto_box_seal (what crypto_box_seal_open opens), with the two X25519
 * operations done by Node's native crypto instead of libsodium's WebAssembly, and the ephemeral key
 * from Node's CSPRNG (libsodium.js fetches randomness 4 bytes at a time through WebCrypto): per
 * message that was most of intake's encryption cost. The rest stays libsodium:
 *   ephemeral (epk, esk); nonce = BLAKE2b-192(epk ‖ pk); k = HSalsa20(X25519(esk, pk), 0);
 *   sealed = epk ‖ XSalsa20-Poly1305(k, nonce, message).
 */
export function sealToPublicKey(message: Uint8Array, publicKey: Uint8Array): Buffer {
  const hex = Buffer.from(publicKey).toString('hex');
  let recipient = recipientKeys.get(hex);
  if (!recipient) {
    recipient = createPublicKey({
      key: Buffer.concat([X25519_SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    if (recipientKeys.size >= 1000) recipientKeys = new Map();
    recipientKeys.set(hex, recipient);
  }
  const ephemeral = generateKeyPairSync('x25519');
  // JWK: the DER export costs ~70 µs, the JWK one ~1 µs.
  const epk = Buffer.from(ephemeral.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const k = sodium.crypto_core_hsalsa20(ZERO_16, shared, null);
  try {
    const nonce = sodium.crypto_generichash(
      sodium.crypto_box_NONCEBYTES,
      Buffer.concat([epk, publicKey]),
      null,
    );
    return Buffer.concat([epk, sodium.crypto_secretbox_easy(message, nonce, k)]);
  } finally {
    sodium.memzero(k);
    shared.fill(0);
  }
}

/** Incremental encryptor: feed the plaintext with push, end with finish; each returns bytes to write. */
export class MessageEncryptor {
  private state: StateAddress | undefined;
  private readonly prefix: Buffer;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private header: Buffer | undefined;

  constructor(
    publicKey: Uint8Array,
    private readonly chunkSize = DEFAULT_CHUNK_SIZE,
  ) {
    if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) throw new KeyError('not a mailbox public key');
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
      throw new ValidationError(`chunk size ${chunkSize} out of range`);
    }
    this.prefix = Buffer.alloc(MESSAGE_PREFIX_SIZE);
    MESSAGE_MAGIC.copy(this.prefix, 0);
    this.prefix[4] = MESSAGE_VERSION;
    this.prefix[5] = 0;
    this.prefix.writeUInt32BE(chunkSize, 6);
    const key = randomBytes(sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES);
    try {
      const sealedKey = sealToPublicKey(key, publicKey);
      // init_push draws its 24-byte header from libsodium.js's randomness, 4 bytes per WebCrypto
      // call (~40 µs a message). init_pull derives exactly init_push's state from a header
      // (HChaCha20 subkey, counter 1, the header's last 8 bytes as nonce), so the header comes from
      // Node's CSPRNG instead and the state is the same one push uses.
      const header = randomBytes(sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES);
      this.state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
      this.header = Buffer.concat([this.prefix, sealedKey, header]);
    } finally {
      sodium.memzero(key);
    }
  }

  push(data: Uint8Array): Buffer[] {
    const out = this.takeHeader();
    this.pending.push(Buffer.from(data));
    this.pendingLength += data.byteLength;
    // Keep at least one byte back: the final chunk is only known at finish.
    if (this.pendingLength <= this.chunkSize) return out;
    const all = Buffer.concat(this.pending);
    let offset = 0;
    while (all.length - offset > this.chunkSize) {
      out.push(this.encryptChunk(all.subarray(offset, offset + this.chunkSize), false));
      offset += this.chunkSize;
    }
    this.pending = [all.subarray(offset)];
    this.pendingLength = all.length - offset;
    return out;
  }

  finish(): Buffer[] {
    const out = this.takeHeader();
    out.push(this.encryptChunk(Buffer.concat(this.pending), true));
    this.pending = [];
    this.pendingLength = 0;
    this.state = undefined;
    return out;
  }

  private takeHeader(): Buffer[] {
    if (this.header === undefined) return [];
    const h = this.header;
    this.header = undefined;
    return [h];
  }

  private encryptChunk(plain: Uint8Array, final: boolean): Buffer {
    if (this.state === undefined) throw new ValidationError('message encryptor already finished');
    const tag = final
      ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    return Buffer.from(
      sodium.crypto_secretstream_xchacha20poly1305_push(this.state, plain, this.prefix, tag),
    );
  }
}

/**
 * Incremental decryptor. Throws KeyError when the message is not for this key, IntegrityError when a
 * chunk fails its tag, chunks are out of order, data follows the final chunk, or the stream ends
 * without one.
 */
export class MessageDecryptor {
  private state: StateAddress | undefined;
  private prefix: Buffer | undefined;
  private chunkSize = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly key: UnlockedMailboxKey) {}

  push(data: Uint8Array): Buffer[] {
    if (this.done) throw new IntegrityError('encrypted message has data after its final chunk');
    this.buffered = Buffer.concat([
      this.buffered,
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ]);
    if (this.state === undefined && !this.readHeader()) return [];
    const out: Buffer[] = [];
    const frame = this.chunkSize + CHUNK_OVERHEAD;
    // A full frame followed by more bytes cannot be the final one.
    while (this.buffered.length > frame) {
      out.push(this.decryptChunk(this.buffered.subarray(0, frame), false));
      this.buffered = this.buffered.subarray(frame);
    }
    return out;
  }

  finish(): Buffer[] {
    if (this.done) throw new IntegrityError('encrypted message has data after its final chunk');
    if (this.state === undefined && !this.readHeader()) {
      throw new IntegrityError('encrypted message is truncated: incomplete header');
    }
    if (this.buffered.length < CHUNK_OVERHEAD) {
      throw new IntegrityError('encrypted message is truncated: no final chunk');
    }
    const last = this.decryptChunk(this.buffered, true);
    this.buffered = Buffer.alloc(0);
    this.done = true;
    this.state = undefined;
    return [last];
  }

  private readHeader(): boolean {
    if (this.buffered.length < MESSAGE_HEADER_SIZE) return false;
    const b = this.buffered;
    if (!b.subarray(0, 4).equals(MESSAGE_MAGIC)) throw new IntegrityError('not a gateway message');
    if (b[4] !== MESSAGE_VERSION) throw new IntegrityError(`unsupported gateway message version ${b[4]}`);
    if (b[5] !== 0) throw new IntegrityError(`gateway message has unknown flags ${b[5]}`);
    const chunkSize = b.readUInt32BE(6);
    if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
      throw new IntegrityError(`gateway message has a chunk size out of range`);
    }
    let streamKey: Uint8Array;
    try {
      streamKey = sodium.crypto_box_seal_open(
        b.subarray(MESSAGE_PREFIX_SIZE, MESSAGE_PREFIX_SIZE + SEALED_KEY_SIZE),
        this.key.publicKey,
        this.key.privateKey,
      );
    } catch {
      throw new KeyError('gateway message does not open with this mailbox key');
    }
    try {
      this.state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
        b.subarray(MESSAGE_PREFIX_SIZE + SEALED_KEY_SIZE, MESSAGE_HEADER_SIZE),
        streamKey,
      );
    } finally {
      sodium.memzero(streamKey);
    }
    this.prefix = Buffer.from(b.subarray(0, MESSAGE_PREFIX_SIZE));
    this.chunkSize = chunkSize;
    this.buffered = Buffer.from(b.subarray(MESSAGE_HEADER_SIZE));
    return true;
  }

  private decryptChunk(frame: Uint8Array, last: boolean): Buffer {
    // libsodium.js returns false when the tag does not verify.
    const r = sodium.crypto_secretstream_xchacha20poly1305_pull(this.state!, frame, this.prefix!);
    if (!r) throw new IntegrityError('gateway message is damaged: a chunk failed authentication');
    const isFinal = r.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (last && !isFinal) throw new IntegrityError('encrypted message is truncated: no final chunk');
    if (!last && isFinal) throw new IntegrityError('encrypted message has data after its final chunk');
    return Buffer.from(r.message);
  }
}

/**
 * A Transform that encrypts a message for a mailbox, for piping an SMTP DATA stream to a file:
 * `await pipeline(data, encryptForMailbox(publicKey), createWriteStream(tmp))`.
 */
export function encryptForMailbox(publicKey: Uint8Array, chunkSize = DEFAULT_CHUNK_SIZE): Transform {
  const enc = new MessageEncryptor(publicKey, chunkSize);
  return codecTransform(enc);
}

/** A Transform that gives back the exact bytes received; errors as MessageDecryptor. */
export function decryptFromMailbox(key: UnlockedMailboxKey): Transform {
  return codecTransform(new MessageDecryptor(key));
}

/** Whole-buffer helpers for small messages. */
export function encryptMessage(
  publicKey: Uint8Array,
  plain: Uint8Array,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Buffer {
  const enc = new MessageEncryptor(publicKey, chunkSize);
  return Buffer.concat([...enc.push(plain), ...enc.finish()]);
}

export function decryptMessage(key: UnlockedMailboxKey, encrypted: Uint8Array): Buffer {
  const dec = new MessageDecryptor(key);
  return Buffer.concat([...dec.push(encrypted), ...dec.finish()]);
}

function codecTransform(codec: { push(d: Uint8Array): Buffer[]; finish(): Buffer[] }): Transform {
  const emit = (t: Transform, bufs: Buffer[]) => {
    for (const b of bufs) t.push(b);
  };
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        emit(this, codec.push(chunk));
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        emit(this, codec.finish());
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}
