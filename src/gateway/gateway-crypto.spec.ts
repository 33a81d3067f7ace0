import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { IntegrityError, KeyError, ValidationError } from '../core/errors.js';
import {
  DEFAULT_ARGON2ID_PARAMS,
  MESSAGE_HEADER_SIZE,
  MessageDecryptor,
  PASSWORD_ALPHABET,
  PASSWORD_ENTROPY_BITS,
  WrongPasswordError,
  createMailboxKeys,
  decryptFromMailbox,
  decryptMessage,
  encryptForMailbox,
  encryptMessage,
  generateGatewayPassword,
  parseGatewayPassword,
  readLockedKeyParams,
  relockPrivateKey,
  sealToPublicKey,
  unlockPrivateKey,
  type Argon2idParams,
} from './gateway-crypto.js';
import sodium from 'libsodium-wrappers-sumo';

// Cheap parameters keep the suite fast; the defaults are exercised once below.
const FAST: Argon2idParams = { opslimit: 1, memlimit: 8 * 1024 * 1024 };

function newMailbox(params = FAST) {
  const password = generateGatewayPassword();
  const keys = createMailboxKeys(password, params);
  const unlocked = unlockPrivateKey(keys.lockedPrivateKey, password);
  return { password, ...keys, unlocked };
}

/** Streams `data` through in pieces of random size, like a socket does. */
function randomPieces(data: Buffer, max: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length;) {
        const n = randomInt(1, max + 1);
        yield data.subarray(i, i + n);
        i += n;
      }
    })(),
  );
}

async function collect(source: Readable, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(source, transform, async (chunks: AsyncIterable<Buffer | string>) => {
    for await (const c of chunks) out.push(Buffer.from(c));
  });
  return Buffer.concat(out);
}

describe('gateway passwords', () => {
  it('are 7 groups of 4 characters from the unambiguous alphabet, at least 128 bits', () => {
    expect(PASSWORD_ENTROPY_BITS).toBeGreaterThanOrEqual(128);
    expect(PASSWORD_ALPHABET).toHaveLength(32);
    expect(PASSWORD_ALPHABET).not.toMatch(/[ILOU]/);
    for (let i = 0; i < 200; i++) {
      const pw = generateGatewayPassword();
      expect(pw).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/);
    }
  });

  it('use every character of the alphabet and do not repeat', () => {
    const seen = new Set<string>();
    const passwords = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const pw = generateGatewayPassword();
      passwords.add(pw);
      for (const c of pw.replace(/-/g, '')) seen.add(c);
    }
    expect(passwords.size).toBe(500);
    expect([...seen].sort().join('')).toBe(PASSWORD_ALPHABET);
  });

  it('parse regardless of case, dashes, spaces and look-alike letters', () => {
    const pw = '0A1B-2C3D-4E5F-6G7H-8J9K-MNPQ-RSTV';
    expect(parseGatewayPassword(pw)).toBe(pw);
    expect(parseGatewayPassword(' oa1b 2c3d4e5f-6g7h 8j9k mnpq  rstv\n')).toBe(pw);
    expect(parseGatewayPassword('0AIB2C3D4E5F6G7H8J9KMNPQRSTV')).toBe(pw);
    expect(parseGatewayPassword('0alb-2c3d-4e5f-6g7h-8j9k-mnpq-rstv')).toBe(pw);
  });

  it('refuse what cannot be a gateway password', () => {
    expect(() => parseGatewayPassword('0A1B-2C3D')).toThrow(ValidationError);
    expect(() => parseGatewayPassword('0A1B-2C3D-4E5F-6G7H-8J9K-MNPQ-RSTU')).toThrow(ValidationError);
    expect(() => parseGatewayPassword('0A1B-2C3D-4E5F-6G7H-8J9K-MNPQ-RSTVW')).toThrow(ValidationError);
  });
});

describe('mailbox keys', () => {
  it('open with the password, also typed loosely, and give back the key pair', () => {
    const { password, publicKey, lockedPrivateKey, unlocked } = newMailbox();
    expect(Buffer.from(unlocked.publicKey).equals(Buffer.from(publicKey))).toBe(true);
    expect(unlocked.privateKey).toHaveLength(32);
    const loose = password.toLowerCase().replace(/-/g, ' ');
    expect(Buffer.from(unlockPrivateKey(lockedPrivateKey, loose).privateKey)).toEqual(
      Buffer.from(unlocked.privateKey),
    );
  });

  it('refuse a wrong password, and anything that is not a password, with WrongPasswordError', () => {
    const { lockedPrivateKey } = newMailbox();
    expect(() => unlockPrivateKey(lockedPrivateKey, generateGatewayPassword())).toThrow(WrongPasswordError);
    expect(() => unlockPrivateKey(lockedPrivateKey, 'hunter2')).toThrow(WrongPasswordError);
  });

  it('never contain the password or the private key', () => {
    const { password, lockedPrivateKey, unlocked } = newMailbox();
    const stored = Buffer.from(lockedPrivateKey);
    expect(stored.includes(Buffer.from(password))).toBe(false);
    expect(stored.includes(Buffer.from(password.replace(/-/g, '')))).toBe(false);
    expect(stored.includes(Buffer.from(unlocked.privateKey))).toBe(false);
  });

  it('record the Argon2id parameters and use the recorded ones to unlock', () => {
    const { password, lockedPrivateKey } = newMailbox({ opslimit: 2, memlimit: 16 * 1024 * 1024 });
    expect(readLockedKeyParams(lockedPrivateKey)).toEqual({ opslimit: 2, memlimit: 16 * 1024 * 1024 });
    // Unlocking takes no parameters: the defaults may change without stranding old mailboxes.
    expect(() => unlockPrivateKey(lockedPrivateKey, password)).not.toThrow();
    // The parameters are authenticated: changing the recorded ones does not open the key.
    const altered = Buffer.from(lockedPrivateKey);
    altered.writeUInt32BE(1, 6);
    expect(() => unlockPrivateKey(altered, password)).toThrow(WrongPasswordError);
  });

  it('use the default parameters when none are given', () => {
    const password = generateGatewayPassword();
    const { lockedPrivateKey } = createMailboxKeys(password);
    expect(readLockedKeyParams(lockedPrivateKey)).toEqual(DEFAULT_ARGON2ID_PARAMS);
    expect(() => unlockPrivateKey(lockedPrivateKey, password)).not.toThrow();
  });

  it('refuse damaged records and parameters out of range', () => {
    const { password, lockedPrivateKey } = newMailbox();
    expect(() => unlockPrivateKey(lockedPrivateKey.subarray(1), password)).toThrow(IntegrityError);
    const huge = Buffer.from(lockedPrivateKey);
    huge.writeUInt32BE(0xffffffff, 10);
    expect(() => unlockPrivateKey(huge, password)).toThrow(IntegrityError);
    const version = Buffer.from(lockedPrivateKey);
    version[4] = 2;
    expect(() => unlockPrivateKey(version, password)).toThrow(IntegrityError);
    const tag = Buffer.from(lockedPrivateKey);
    tag[tag.length - 1]! ^= 1;
    expect(() => unlockPrivateKey(tag, password)).toThrow(WrongPasswordError);
    expect(() => createMailboxKeys(password, { opslimit: 0, memlimit: 8192 })).toThrow(ValidationError);
  });

  it('relock under a new password: content stays readable, the old password stops working', () => {
    const { password, publicKey, lockedPrivateKey } = newMailbox();
    const mail = Buffer.from('Subject: kept\r\n\r\nstill readable after the reset\r\n');
    const encrypted = encryptMessage(publicKey, mail);
    const newPassword = generateGatewayPassword();
    const relocked = relockPrivateKey(lockedPrivateKey, password, newPassword, FAST);
    expect(() => unlockPrivateKey(relocked, password)).toThrow(WrongPasswordError);
    expect(decryptMessage(unlockPrivateKey(relocked, newPassword), encrypted)).toEqual(mail);
    expect(() => relockPrivateKey(lockedPrivateKey, newPassword, generateGatewayPassword(), FAST)).toThrow(
      WrongPasswordError,
    );
  });
});

describe('messages', () => {
  it('round-trip small messages, including an empty one', () => {
    const { publicKey, unlocked } = newMailbox();
    for (const size of [0, 1, 100, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024]) {
      const mail = randomBytes(size);
      expect(decryptMessage(unlocked, encryptMessage(publicKey, mail))).toEqual(mail);
    }
  });

  it('stream 5 MB through in pieces of random size both ways', async () => {
    const { publicKey, unlocked } = newMailbox();
    const mail = randomBytes(5 * 1024 * 1024 + 12345);
    const encrypted = await collect(randomPieces(mail, 200_000), encryptForMailbox(publicKey));
    expect(encrypted.length).toBe(MESSAGE_HEADER_SIZE + mail.length + 81 * 17);
    const back = await collect(randomPieces(encrypted, 150_000), decryptFromMailbox(unlocked));
    expect(back.equals(mail)).toBe(true);
    expect(decryptMessage(unlocked, encrypted).equals(mail)).toBe(true);
  });

  it('use a fresh key per message', () => {
    const { publicKey } = newMailbox();
    const mail = Buffer.from('same message twice');
    const a = encryptMessage(publicKey, mail);
    const b = encryptMessage(publicKey, mail);
    expect(a.subarray(10).equals(b.subarray(10))).toBe(false);
  });

  it('never show a marker from the mail in the ciphertext', async () => {
    const { publicKey } = newMailbox();
    const marker = 'MARKER-7f3a9c2e-do-not-leak';
    const mail = Buffer.from(`Subject: ${marker}\r\n\r\n${`${marker}\r\n`.repeat(20_000)}`);
    const encrypted = await collect(randomPieces(mail, 70_000), encryptForMailbox(publicKey, 4096));
    expect(encrypted.includes(Buffer.from(marker))).toBe(false);
    expect(encrypted.includes(Buffer.from('MARKER'))).toBe(false);
  });

  it('refuse another mailbox key with KeyError', () => {
    const a = newMailbox();
    const b = newMailbox();
    const encrypted = encryptMessage(a.publicKey, Buffer.from('for a only'));
    expect(() => decryptMessage(b.unlocked, encrypted)).toThrow(KeyError);
  });

  it('refuse a truncated message', async () => {
    const { publicKey, unlocked } = newMailbox();
    const mail = randomBytes(10_000);
    const encrypted = encryptMessage(publicKey, mail, 1000);
    const frame = 1000 + 17;
    // Cut at a chunk boundary (the final chunk is missing), inside a chunk, and inside the header.
    for (const cut of [MESSAGE_HEADER_SIZE + 5 * frame, encrypted.length - 1, MESSAGE_HEADER_SIZE - 1, 0]) {
      expect(() => decryptMessage(unlocked, encrypted.subarray(0, cut))).toThrow(IntegrityError);
    }
    await expect(
      collect(
        Readable.from([encrypted.subarray(0, MESSAGE_HEADER_SIZE + 5 * frame)]),
        decryptFromMailbox(unlocked),
      ),
    ).rejects.toThrow(IntegrityError);
  });

  it('refuse data after the final chunk', () => {
    const { publicKey, unlocked } = newMailbox();
    const encrypted = encryptMessage(publicKey, randomBytes(5000), 1000);
    const lastChunk = encrypted.subarray(encrypted.length - 17);
    expect(() => decryptMessage(unlocked, Buffer.concat([encrypted, lastChunk]))).toThrow(IntegrityError);
    const dec = new MessageDecryptor(unlocked);
    dec.push(encrypted);
    dec.finish();
    expect(() => dec.push(Buffer.from('x'))).toThrow(IntegrityError);
  });

  it('refuse any flipped byte', () => {
    const { publicKey, unlocked } = newMailbox();
    const encrypted = encryptMessage(publicKey, randomBytes(3000), 1000);
    for (let i = 0; i < encrypted.length; i += 7) {
      const damaged = Buffer.from(encrypted);
      damaged[i]! ^= 0x01;
      expect(() => decryptMessage(unlocked, damaged), `byte ${i}`).toThrow(
        /gateway message|encrypted message/,
      );
    }
  });

  it('refuse reordered, dropped or duplicated chunks', () => {
    const { publicKey, unlocked } = newMailbox();
    const encrypted = encryptMessage(publicKey, randomBytes(4500), 1000);
    const frame = 1000 + 17;
    const header = encrypted.subarray(0, MESSAGE_HEADER_SIZE);
    const chunks = [0, 1, 2, 3].map((i) =>
      encrypted.subarray(MESSAGE_HEADER_SIZE + i * frame, MESSAGE_HEADER_SIZE + (i + 1) * frame),
    );
    const final = encrypted.subarray(MESSAGE_HEADER_SIZE + 4 * frame);
    const variants = [
      [chunks[1]!, chunks[0]!, chunks[2]!, chunks[3]!, final],
      [chunks[0]!, chunks[2]!, chunks[3]!, final],
      [chunks[0]!, chunks[0]!, chunks[1]!, chunks[2]!, chunks[3]!, final],
      [chunks[0]!, chunks[1]!, chunks[2]!, final, chunks[3]!],
    ];
    for (const v of variants) {
      expect(() => decryptMessage(unlocked, Buffer.concat([header, ...v]))).toThrow(IntegrityError);
    }
    expect(decryptMessage(unlocked, Buffer.concat([header, ...chunks, final]))).toHaveLength(4500);
  });

  it('keep keys out of error messages', () => {
    const a = newMailbox();
    const b = newMailbox();
    const encrypted = encryptMessage(a.publicKey, Buffer.from('x'));
    let message = '';
    try {
      decryptMessage(b.unlocked, encrypted);
    } catch (err) {
      message = `${(err as Error).message} ${JSON.stringify(err)}`;
    }
    expect(message).not.toContain(Buffer.from(b.unlocked.privateKey).toString('hex'));
    expect(message).not.toContain(Buffer.from(b.unlocked.privateKey).toString('base64'));
    let pwMessage = '';
    try {
      unlockPrivateKey(a.lockedPrivateKey, b.password);
    } catch (err) {
      pwMessage = `${(err as Error).message} ${JSON.stringify(err)}`;
    }
    expect(pwMessage).toBe('wrong mailbox password {"name":"WrongPasswordError"}');
  });
});

describe('sealToPublicKey (native X25519)', () => {
  it('is libsodium crypto_box_seal: crypto_box_seal_open opens it, and only for the right key', () => {
    const recipient = sodium.crypto_box_keypair();
    const other = sodium.crypto_box_keypair();
    for (const size of [0, 1, 32, 1000]) {
      const message = randomBytes(size);
      const sealed = sealToPublicKey(message, recipient.publicKey);
      expect(sealed.length).toBe(size + sodium.crypto_box_SEALBYTES);
      const opened = sodium.crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey);
      expect(Buffer.from(opened).equals(message)).toBe(true);
      expect(() => sodium.crypto_box_seal_open(sealed, other.publicKey, other.privateKey)).toThrow();
      // A fresh ephemeral key every time.
      expect(sealToPublicKey(message, recipient.publicKey).equals(sealed)).toBe(false);
    }
  });
});
