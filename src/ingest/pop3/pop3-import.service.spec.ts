import { describe, expect, it } from 'vitest';
import type { ArchiveItem, ArchiveOutcome } from '../../archive/archive.types.js';
import { Pop3Error, type Pop3Listing } from '../../connectors/pop3/pop3-client.js';
import { Pop3ImportService, type Pop3Maildrop } from './pop3-import.service.js';

const ctx = { tenantId: 1 };

/**
 * A POP3 server's maildrop as the RFC has it: DELE marks, QUIT removes what was marked, a dropped
 * session removes nothing. `dropAfterRetr` cuts the connection after that many RETRs (in total).
 */
class FakeServer {
  messages = new Map<string, Buffer>();
  sessions = 0;
  retrs = 0;
  log: string[] = [];
  constructor(
    names: string[],
    private readonly options: { dropAfterRetr?: number; quitFails?: boolean } = {},
  ) {
    for (const name of names)
      this.messages.set(`uid-${name}`, Buffer.from(`Subject: ${name}\r\n\r\nbody\r\n`));
  }

  open = (): Promise<Pop3Maildrop> => {
    this.sessions += 1;
    const snapshot = [...this.messages];
    const marked = new Set<string>();
    let dropped = false;
    const alive = () => {
      if (dropped) throw new Pop3Error('the POP3 server 127.0.0.1:110 closed the connection');
    };
    const entry = (n: number) => {
      const found = snapshot[n - 1];
      if (!found) throw new Pop3Error(`the POP3 server refused RETR: -ERR No message ${n}`, '-ERR');
      return found;
    };
    return Promise.resolve({
      listing: () =>
        Promise.resolve(
          snapshot.map(([uid, raw], i): Pop3Listing => ({ number: i + 1, uid, size: raw.length })),
        ),
      retr: (n: number) => {
        alive();
        this.retrs += 1;
        if (this.options.dropAfterRetr !== undefined && this.retrs > this.options.dropAfterRetr) {
          dropped = true;
          alive();
        }
        this.log.push(`RETR ${entry(n)[0]}`);
        return Promise.resolve(entry(n)[1]);
      },
      dele: (n: number) => {
        alive();
        this.log.push(`DELE ${entry(n)[0]}`);
        marked.add(entry(n)[0]);
        return Promise.resolve();
      },
      quit: () => {
        alive();
        this.log.push('QUIT');
        if (this.options.quitFails)
          return Promise.reject(new Pop3Error('the POP3 server refused QUIT: -ERR [SYS/TEMP]', '-ERR'));
        for (const uid of marked) this.messages.delete(uid);
        return Promise.resolve();
      },
      destroy: () => {
        dropped = true;
      },
    });
  };
}

/** An archive that keeps what it is given, refuses messages whose subject says so, or fails whole batches. */
class FakeArchive {
  stored = new Map<string, Buffer>();
  batches = 0;
  constructor(private readonly options: { refuse?: string; failBatch?: number } = {}) {}

  ensureMailbox = () => Promise.resolve({ id: 7 } as never);

  archiveBatch = (_ctx: unknown, _mailbox: number, items: ArchiveItem[]): Promise<ArchiveOutcome[]> => {
    this.batches += 1;
    if (this.options.failBatch === this.batches) return Promise.reject(new Error('disk full'));
    return Promise.resolve(
      items.map((item): ArchiveOutcome => {
        const text = item.raw.toString();
        if (this.options.refuse && text.includes(`Subject: ${this.options.refuse}\r\n`))
          return { sourceRef: item.sourceRef, status: 'failed', error: 'refused by the archive' };
        const key = text;
        const duplicate = this.stored.has(key);
        this.stored.set(key, item.raw);
        return {
          sourceRef: item.sourceRef,
          status: duplicate ? 'duplicate' : 'archived',
          messageId: 1,
          contentId: 1,
        };
      }),
    );
  };
}

describe('Pop3ImportService', () => {
  it('archives everything, deletes it at QUIT, and takes big maildrops in several sessions', async () => {
    const server = new FakeServer(['a', 'b', 'c', 'd', 'e']);
    const archive = new FakeArchive();
    const starts: unknown[] = [];
    const summary = await new Pop3ImportService(archive).importMaildrop(ctx, server.open, {
      mailbox: 'gw',
      sessionMessages: 2,
      onStart: (total) => starts.push(total),
    });
    expect(summary).toMatchObject({
      archived: 5,
      failed: [],
      deleted: 5,
      notDeleted: 0,
      sessions: 3,
      interrupted: null,
    });
    expect(starts).toEqual([{ messages: 5, bytes: 5 * 20 }]);
    expect(server.messages.size).toBe(0);
    expect(archive.stored.size).toBe(5);
    // Every DELE comes after its message was archived, and each session ends with QUIT.
    expect(server.log.filter((l) => l === 'QUIT')).toHaveLength(3);
  });

  it('keeps a message the archive refuses on the server, reports it, and does not retry it in the same run', async () => {
    const server = new FakeServer(['a', 'bad', 'c', 'd']);
    const archive = new FakeArchive({ refuse: 'bad' });
    const summary = await new Pop3ImportService(archive).importMaildrop(ctx, server.open, {
      mailbox: 'gw',
      sessionMessages: 2,
    });
    expect(summary).toMatchObject({ archived: 3, deleted: 3, notDeleted: 0, sessions: 2, interrupted: null });
    expect(summary.failed).toEqual([
      { sourceRef: 'message 2 (UIDL uid-bad)', error: 'refused by the archive' },
    ]);
    expect([...server.messages.keys()]).toEqual(['uid-bad']);
    expect(server.log.filter((l) => l === 'RETR uid-bad')).toHaveLength(1);
    expect(server.log).not.toContain('DELE uid-bad');
  });

  it('deletes nothing of a batch the archive failed as a whole', async () => {
    const server = new FakeServer(['a', 'b', 'c']);
    const archive = new FakeArchive({ failBatch: 1 });
    const summary = await new Pop3ImportService(archive).importMaildrop(ctx, server.open, { mailbox: 'gw' });
    expect(summary.failed.map((f) => f.error)).toEqual(['disk full', 'disk full', 'disk full']);
    expect(summary).toMatchObject({ archived: 0, deleted: 0 });
    expect(server.messages.size).toBe(3);
    expect(server.log.some((l) => l.startsWith('DELE'))).toBe(false);
  });

  it('after a dropped connection loses nothing, and the next run archives the rest once and deletes everything', async () => {
    const server = new FakeServer(['a', 'b', 'c', 'd'], { dropAfterRetr: 3 });
    const archive = new FakeArchive();
    const service = new Pop3ImportService(archive);
    const first = await service.importMaildrop(ctx, server.open, { mailbox: 'gw' });
    expect(first.interrupted).toMatch(/closed the connection/);
    // Three were retrieved and archived; their DELEs were lost with the connection.
    expect(first).toMatchObject({ archived: 3, deleted: 0 });
    expect(server.messages.size).toBe(4);

    const healthy = new FakeServer([]);
    healthy.messages = server.messages;
    const second = await service.importMaildrop(ctx, healthy.open, { mailbox: 'gw' });
    expect(second).toMatchObject({ archived: 1, duplicates: 3, deleted: 4, interrupted: null });
    expect(server.messages.size).toBe(0);
    expect(archive.stored.size).toBe(4);
  });

  it('reports deletions the server did not confirm at QUIT', async () => {
    const server = new FakeServer(['a', 'b'], { quitFails: true });
    const summary = await new Pop3ImportService(new FakeArchive()).importMaildrop(ctx, server.open, {
      mailbox: 'gw',
    });
    expect(summary).toMatchObject({ archived: 2, deleted: 0, notDeleted: 2 });
    expect(summary.interrupted).toMatch(/did not confirm the deletions at QUIT/);
    expect(server.messages.size).toBe(2);
  });

  it('fails as a whole when the first login fails, before touching the archive', async () => {
    const archive = new FakeArchive();
    const open = () =>
      Promise.reject(
        new Pop3Error(
          'the POP3 server refused the login: -ERR [AUTH] Wrong mailbox address or password',
          '-ERR',
        ),
      );
    await expect(new Pop3ImportService(archive).importMaildrop(ctx, open, { mailbox: 'gw' })).rejects.toThrow(
      /\[AUTH\]/,
    );
    expect(archive.batches).toBe(0);
  });
});
