import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import {
  ConflictError,
  KeyError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
} from '../../src/core/errors.js';
import { decryptMessage, unlockPrivateKey, WrongPasswordError } from '../../src/gateway/gateway-crypto.js';
import { MaildropInUseError, type Maildrop } from '../../src/gateway/gateway.service.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

const OPERATOR = { actor: { kind: 'system' as const, name: 'test' } };
const FAST = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
const DELAY_MS = 150;

async function* pieces(data: Buffer, size = 7000) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(maildrop: Maildrop, index: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of maildrop.read(index)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('gateway mailboxes (service, store and database)', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  const gateway = () => app.gateway.service;

  beforeAll(async () => {
    dir = tempDir('postvault-gateway-');
    app = await openTempApp(
      dir.path,
      { POSTVAULT_GATEWAY_DOMAIN: 'Gateway.Example.Test.' },
      { gatewayKdfParams: FAST, gatewayFailedLoginDelayMs: DELAY_MS },
    );
  });
  afterAll(async () => {
    await app?.close();
    dir?.remove();
  });

  it('creates a mailbox with a random address on the gateway domain and a password kept nowhere', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, {
      name: ' Office 365 Journal ',
      description: 'Journal reports from example.com',
    });
    expect(password).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$/);
    expect(mailbox).toMatchObject({
      name: 'Office 365 Journal',
      description: 'Journal reports from example.com',
      status: 'active',
      messages: 0,
      bytes: 0,
      unreadableMessages: 0,
      lastReceivedAt: null,
    });
    expect(mailbox.address).toMatch(/^[a-z2-7]{20}@gateway\.example\.test$/);
    await expect(gateway().create(OPERATOR, { name: 'Office 365 Journal' })).rejects.toThrow(
      /exists already/,
    );
    await expect(gateway().create(OPERATOR, { name: '  ' })).rejects.toThrow(/name is required/);
    // Neither the password nor anything derived from it but the locked key is in the database.
    app.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const db = readFileSync(join(dir.path, 'postvault.sqlite')).toString('latin1');
    expect(db).not.toContain(password);
    expect(db).not.toContain(password.replace(/-/g, ''));
    expect(await gateway().find(OPERATOR, mailbox.address.toUpperCase())).toMatchObject({ id: mailbox.id });
    expect(await gateway().find(OPERATOR, 'Office 365 Journal')).toMatchObject({ id: mailbox.id });
    await expect(gateway().find(OPERATOR, 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stores one encrypted copy per mailbox and gives back the exact bytes with the password', async () => {
    const a = await gateway().create(OPERATOR, { name: 'A' });
    const b = await gateway().create(OPERATOR, { name: 'B' });
    const message = Buffer.concat([
      Buffer.from('Subject: secret plans\r\n\r\n'),
      Buffer.alloc(200_000, 'confidential payload '),
      Buffer.from('\r\n'),
    ]);
    await gateway().deliver([a.mailbox.id, b.mailbox.id, a.mailbox.id], pieces(message));
    for (const { mailbox, password } of [a, b]) {
      const files = readdirSync(join(dir.path, 'gateway', String(mailbox.id)));
      expect(files).toHaveLength(1);
      const stored = readFileSync(join(dir.path, 'gateway', String(mailbox.id), files[0]!));
      expect(stored.includes('confidential')).toBe(false);
      const view = await gateway().get(OPERATOR, mailbox.id);
      expect(view).toMatchObject({ messages: 1, bytes: message.length });
      expect(view.lastReceivedAt).toBeGreaterThan(0);
      expect(files[0]).toMatch(/^\d{15}-[a-z2-7]{10}\.pvgs$/);
      const maildrop = await gateway().openMaildrop(mailbox.address, password, '127.0.0.1');
      try {
        expect(maildrop.messages).toEqual([
          { uid: expect.stringMatching(/^[a-z2-7]{24}$/), size: message.length },
        ]);
        expect((await readAll(maildrop, 0)).equals(message)).toBe(true);
      } finally {
        maildrop.release();
      }
    }
  });

  it('lets one POP3 session at a time open a mailbox', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, { name: 'Locked' });
    const first = await gateway().openMaildrop(mailbox.address, password, '127.0.0.1');
    await expect(gateway().openMaildrop(mailbox.address, password, '127.0.0.1')).rejects.toBeInstanceOf(
      MaildropInUseError,
    );
    first.release();
    first.release();
    (await gateway().openMaildrop(mailbox.address, password, '127.0.0.1')).release();
  });

  it('answers a wrong password or unknown address no sooner than the delay, then throttles the peer', async () => {
    const { mailbox } = await gateway().create(OPERATOR, { name: 'Guarded' });
    for (const address of [mailbox.address, 'nobody@gateway.example.test']) {
      const t0 = Date.now();
      await expect(
        gateway().openMaildrop(address, 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA', '192.0.2.7'),
      ).rejects.toBeInstanceOf(UnauthenticatedError);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(DELAY_MS - 5);
    }
    for (let i = 2; i < 10; i++)
      await expect(gateway().openMaildrop(mailbox.address, 'x', '192.0.2.7')).rejects.toBeInstanceOf(
        UnauthenticatedError,
      );
    await expect(gateway().openMaildrop(mailbox.address, 'x', '192.0.2.7')).rejects.toBeInstanceOf(
      RateLimitedError,
    );
  });

  it('resets with the current password: same content, only the new password opens it', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, { name: 'Kept' });
    const message = Buffer.from('Subject: kept\r\n\r\nstill readable\r\n');
    await gateway().deliver([mailbox.id], pieces(message));
    await expect(
      gateway().resetPassword(OPERATOR, mailbox.id, {
        currentPassword: 'BBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBB',
      }),
    ).rejects.toBeInstanceOf(WrongPasswordError);
    const reset = await gateway().resetPassword(OPERATOR, mailbox.id, { currentPassword: password });
    expect(reset.contentKept).toBe(true);
    expect(reset.password).not.toBe(password);
    await expect(gateway().openMaildrop(mailbox.address, password, '127.0.0.2')).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    const maildrop = await gateway().openMaildrop(mailbox.address, reset.password, '127.0.0.2');
    expect((await readAll(maildrop, 0)).equals(message)).toBe(true);
    maildrop.release();
  });

  it('lets one of two simultaneous resets or same-name creates win and tells the other', async () => {
    const { mailbox } = await gateway().create(OPERATOR, { name: 'Race' });
    const resets = await Promise.allSettled([
      gateway().resetPassword(OPERATOR, mailbox.id, {}),
      gateway().resetPassword(OPERATOR, mailbox.id, {}),
    ]);
    expect(resets.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = resets.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
      password: string;
    }>;
    const maildrop = await gateway().openMaildrop(mailbox.address, winner.value.password, '127.0.0.1');
    maildrop.release();
    const creates = await Promise.allSettled([
      gateway().create(OPERATOR, { name: 'Twin' }),
      gateway().create(OPERATOR, { name: 'Twin' }),
    ]);
    expect(creates.map((c) => c.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((creates.find((c) => c.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      ConflictError,
    );
  });

  it('resets without the password: old content can never be read again, and can be purged', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, { name: 'Forgotten' });
    const old = Buffer.from('Subject: old\r\n\r\nunder the old key\r\n');
    await gateway().deliver([mailbox.id], pieces(old));
    const locked = (await app.database.db
      .selectFrom('gateway_mailboxes')
      .select('locked_private_key')
      .where('id', '=', mailbox.id)
      .executeTakeFirstOrThrow())!.locked_private_key;
    const reset = await gateway().resetPassword(OPERATOR, mailbox.id, {});
    expect(reset.contentKept).toBe(false);
    expect(reset.mailbox).toMatchObject({ messages: 1, unreadableMessages: 1 });
    const fresh = Buffer.from('Subject: new\r\n\r\nunder the new key\r\n');
    await gateway().deliver([mailbox.id], pieces(fresh));

    // The old password opens nothing any more; the new one sees only the new message.
    await expect(gateway().openMaildrop(mailbox.address, password, '127.0.0.3')).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    const maildrop = await gateway().openMaildrop(mailbox.address, reset.password, '127.0.0.3');
    expect(maildrop.messages).toHaveLength(1);
    expect((await readAll(maildrop, 0)).equals(fresh)).toBe(true);
    maildrop.release();
    // Not even the new private key opens the old file.
    const folder = join(dir.path, 'gateway', String(mailbox.id));
    const newLocked = (await app.database.db
      .selectFrom('gateway_mailboxes')
      .select('locked_private_key')
      .where('id', '=', mailbox.id)
      .executeTakeFirstOrThrow())!.locked_private_key;
    const newKey = unlockPrivateKey(newLocked, reset.password);
    expect(() => unlockPrivateKey(newLocked, password)).toThrow(WrongPasswordError);
    // The old key, had anyone kept the old locked bytes, still needs the old password; the new
    // key does not open the old file.
    expect(unlockPrivateKey(locked, password).publicKey).not.toEqual(newKey.publicKey);
    const oldRow = (await app.database.db
      .selectFrom('gateway_messages')
      .selectAll()
      .where('mailbox_id', '=', mailbox.id)
      .where('key_generation', '=', 1)
      .executeTakeFirst())!;
    const oldSegment = join(folder, `${oldRow.segment}.pvgs`);
    const oldBytes = readFileSync(oldSegment).subarray(
      oldRow.segment_offset!,
      oldRow.segment_offset! + oldRow.stored_size,
    );
    expect(() => decryptMessage(newKey, oldBytes)).toThrow(KeyError);
    // The new key's messages went to a segment of their own.
    expect(readdirSync(folder)).toHaveLength(2);

    expect(await gateway().purgeUnreadable(OPERATOR, mailbox.id)).toEqual({ messages: 1, bytes: old.length });
    expect(existsSync(oldSegment)).toBe(false);
    expect(readdirSync(folder)).toHaveLength(1);
    expect(await gateway().get(OPERATOR, mailbox.id)).toMatchObject({ messages: 1, unreadableMessages: 0 });
  });

  it('deletes at QUIT only what was marked, and a deleted mailbox loses rows and files', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, { name: 'Drained' });
    for (const n of [1, 2, 3])
      await gateway().deliver([mailbox.id], pieces(Buffer.from(`Subject: ${n}\r\n\r\n`)));
    const maildrop = await gateway().openMaildrop(mailbox.address, password, '127.0.0.4');
    await maildrop.deleteMessages([0, 2]);
    maildrop.release();
    const folder = join(dir.path, 'gateway', String(mailbox.id));
    expect(readdirSync(folder)).toHaveLength(1);
    expect(await gateway().get(OPERATOR, mailbox.id)).toMatchObject({ messages: 1 });

    expect((await gateway().suspend(OPERATOR, mailbox.id)).status).toBe('suspended');
    expect(await gateway().findRecipient(mailbox.address)).toMatchObject({ status: 'suspended' });
    expect((await gateway().resume(OPERATOR, mailbox.id)).status).toBe('active');
    expect(await gateway().findRecipient('someone@elsewhere.test')).toBeNull();

    await gateway().delete(OPERATOR, mailbox.id);
    expect(existsSync(folder)).toBe(false);
    expect(await gateway().findRecipient(mailbox.address)).toBeNull();
    const rows = await app.database.db
      .selectFrom('gateway_messages')
      .select('id')
      .where('mailbox_id', '=', mailbox.id)
      .execute();
    expect(rows).toEqual([]);
  });

  it('leaves nothing of a delivery that fails midway, and start-up cleanup removes strays', async () => {
    const { mailbox } = await gateway().create(OPERATOR, { name: 'Strays' });
    async function* failing() {
      yield Buffer.from('Subject: half\r\n\r\n');
      throw new Error('peer went away');
    }
    await expect(gateway().deliver([mailbox.id], failing())).rejects.toThrow('peer went away');
    const folder = join(dir.path, 'gateway', String(mailbox.id));
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    await gateway().deliver([mailbox.id], pieces(Buffer.from('Subject: kept\r\n\r\n')));
    const kept = readdirSync(folder);
    writeFileSync(join(folder, '.tmp-torn.pvgs'), 'torn');
    writeFileSync(join(folder, 'norow.pvgm'), 'no row');
    writeFileSync(join(folder, '000000000000001-norowsegment.pvgs'), 'no row');
    writeFileSync(join(dir.path, 'gateway', '99999'), 'x');
    await gateway().flushIntake();
    const cleaned = await app.gateway.cleanup();
    expect(cleaned).toMatchObject({ removedFiles: 3, truncatedSegments: 0, problems: [] });
    expect(readdirSync(folder)).toEqual(kept);
  });

  it('recovers at start-up what was synced but not recorded, and cuts off a torn tail', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, { name: 'Recovered' });
    const first = Buffer.from('Subject: first\r\n\r\nrecorded\r\n');
    await gateway().deliver([mailbox.id], pieces(first));
    await gateway().flushIntake();
    const folder = join(dir.path, 'gateway', String(mailbox.id));
    const [segment] = readdirSync(folder);
    // What a kill -9 after a group's fdatasync and before its rows are recorded leaves (the sender
    // may have had its 250): a whole frame after the recorded end; then the torn start of the next
    // group; and a new segment whose first group was never recorded.
    const publicKey = (await app.database.db
      .selectFrom('gateway_mailboxes')
      .select('public_key')
      .where('id', '=', mailbox.id)
      .executeTakeFirstOrThrow())!.public_key;
    const frameOf = async (plain: Buffer) => {
      const writer = app.gateway.store.createWriter(mailbox.id, publicKey);
      await writer.write(plain);
      return Buffer.concat((await writer.finish(Date.now())).frame!);
    };
    const synced = Buffer.from('Subject: synced\r\n\r\nnot recorded yet\r\n');
    const torn = (await frameOf(Buffer.from('Subject: torn\r\n\r\nnever whole\r\n'))).subarray(0, 70);
    appendFileSync(join(folder, segment!), Buffer.concat([await frameOf(synced), torn]));
    const unrecordedSegment = '000000000000002-unrecorded.pvgs';
    const inNewSegment = Buffer.from('Subject: new segment\r\n\r\nits first group\r\n');
    writeFileSync(join(folder, unrecordedSegment), await frameOf(inNewSegment));
    const sizeBefore = readFileSync(join(folder, segment!)).length;

    const cleaned = await app.gateway.cleanup();
    expect(cleaned).toMatchObject({ truncatedSegments: 1, truncatedBytes: 70, problems: [] });
    expect(cleaned.recovered).toHaveLength(2);
    expect(readFileSync(join(folder, segment!)).length).toBe(sizeBefore - 70);
    const maildrop = await gateway().openMaildrop(mailbox.address, password, '127.0.0.5');
    try {
      const got = await Promise.all(maildrop.messages.map((_, i) => readAll(maildrop, i)));
      expect(got.map((b) => b.toString()).sort()).toEqual(
        [first, synced, inNewSegment].map((b) => b.toString()).sort(),
      );
    } finally {
      maildrop.release();
    }
    // Recovered once: a second start finds nothing more.
    expect((await app.gateway.cleanup()).recovered).toEqual([]);

    // Intake goes on in a new segment; deleting everything removes every segment.
    const second = Buffer.from('Subject: second\r\n\r\nafter recovery\r\n');
    await gateway().deliver([mailbox.id], pieces(second));
    expect(readdirSync(folder)).toHaveLength(3);
    const again = await gateway().openMaildrop(mailbox.address, password, '127.0.0.5');
    try {
      expect(again.messages).toHaveLength(4);
      await again.deleteMessages([0, 1, 2, 3]);
    } finally {
      again.release();
    }
    expect(readdirSync(folder)).toEqual([]);
    expect((await app.gateway.cleanup()).recovered).toEqual([]);
  });

  it('spills a large message to a segment of its own as it streams, and appends small ones', async () => {
    const { mailbox, password } = await gateway().create(OPERATOR, { name: 'Large' });
    const large = Buffer.concat([
      Buffer.from('Subject: large\r\n\r\n'),
      Buffer.alloc(3 * 1024 * 1024, 'large attachment line\r\n'),
      Buffer.from('\r\n'),
    ]);
    const small = Buffer.from('Subject: small\r\n\r\nsmall\r\n');
    await Promise.all([
      gateway().deliver([mailbox.id], pieces(small)),
      gateway().deliver([mailbox.id], pieces(large, 64 * 1024)),
      gateway().deliver([mailbox.id], pieces(small)),
    ]);
    const folder = join(dir.path, 'gateway', String(mailbox.id));
    expect(readdirSync(folder)).toHaveLength(2);
    const maildrop = await gateway().openMaildrop(mailbox.address, password, '127.0.0.6');
    try {
      const sizes = maildrop.messages.map((m) => m.size).sort((a, b) => a - b);
      expect(sizes).toEqual([small.length, small.length, large.length]);
      for (let i = 0; i < 3; i++) {
        const got = await readAll(maildrop, i);
        expect(got.equals(got.length === large.length ? large : small)).toBe(true);
      }
    } finally {
      maildrop.release();
    }
  });
});
