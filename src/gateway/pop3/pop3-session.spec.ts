import { describe, expect, it } from 'vitest';
import { RateLimitedError, UnauthenticatedError } from '../../core/errors.js';
import { MaildropInUseError, type Maildrop } from '../gateway.service.js';
import { Pop3Session, type Pop3Backend, type Pop3Connection } from './pop3-session.js';

const MESSAGES = [
  { uid: 'uid-one', body: 'Subject: one\r\n\r\nfirst\r\n.dot line\r\n' },
  { uid: 'uid-two', body: 'Subject: two\r\n\r\nA\r\nB\r\nC\r\n' },
  { uid: 'uid-three', body: 'Subject: three\r\n\r\nbody\r\n' },
];

/** A maildrop over fixed messages that records what it was asked to delete. */
function fakeMaildrop(log: { deleted: string[][]; released: number }): Maildrop {
  return {
    mailboxId: 1,
    messages: MESSAGES.map((m) => ({ uid: m.uid, size: Buffer.byteLength(m.body) })),
    read(index) {
      const body = Buffer.from(MESSAGES[index]!.body);
      // In pieces of 3 bytes, like a stream.
      return (async function* () {
        for (let i = 0; i < body.length; i += 3) yield body.subarray(i, i + 3);
      })();
    },
    async deleteMessages(indexes) {
      log.deleted.push(indexes.map((i) => MESSAGES[i]!.uid));
    },
    release() {
      log.released += 1;
    },
  };
}

function harness(options: { secure?: boolean; loopback?: boolean; backend?: Pop3Backend } = {}) {
  let output = '';
  const log = { deleted: [] as string[][], released: 0, closed: false, tlsStarted: false };
  const connection: Pop3Connection = {
    peer: '192.0.2.1',
    secure: options.secure ?? false,
    loopback: options.loopback ?? true,
    canStartTls: true,
    async write(data) {
      output += data.toString();
    },
    async startTls() {
      log.tlsStarted = true;
    },
    close() {
      log.closed = true;
    },
  };
  const backend: Pop3Backend = options.backend ?? {
    async openMaildrop(user, password) {
      if (user === 'box@gateway.test' && password === 'RIGHT') return fakeMaildrop(log);
      throw new UnauthenticatedError('wrong');
    },
  };
  const session = new Pop3Session(connection, backend, 'gateway.test');
  return {
    session,
    log,
    /** Sends a line and returns what the session wrote in reply. */
    async send(line: string): Promise<string> {
      const before = output.length;
      await session.handle(line);
      return output.slice(before);
    },
  };
}

async function loggedIn() {
  const h = harness();
  expect(await h.send('USER box@gateway.test')).toMatch(/^\+OK/);
  expect(await h.send('PASS RIGHT')).toBe('+OK Mailbox open, 3 messages (83 octets)\r\n');
  return h;
}

describe('POP3 session', () => {
  it('greets, lists capabilities and logs in with USER/PASS', async () => {
    const h = harness();
    expect(h.session.greeting()).toMatch(/^\+OK .*\r\n$/);
    const capa = await h.send('CAPA');
    expect(capa.split('\r\n')).toEqual([
      '+OK Capability list follows',
      'TOP',
      'UIDL',
      'RESP-CODES',
      'AUTH-RESP-CODE',
      'PIPELINING',
      'USER',
      'STLS',
      'IMPLEMENTATION Postvault',
      '.',
      '',
    ]);
    expect(await h.send('STAT')).toMatch(/^-ERR/);
    expect(await h.send('PASS RIGHT')).toBe('-ERR USER first\r\n');
    expect(await h.send('USER box@gateway.test')).toMatch(/^\+OK/);
    expect(await h.send('PASS WRONG')).toBe('-ERR [AUTH] Wrong mailbox address or password\r\n');
    // After a failed PASS the client starts over with USER.
    expect(await h.send('PASS RIGHT')).toBe('-ERR USER first\r\n');
    expect(await h.send('user box@gateway.test')).toMatch(/^\+OK/);
    expect(await h.send('pass RIGHT')).toMatch(/^\+OK Mailbox open/);
    expect(h.session.currentState).toBe('transaction');
  });

  it('refuses a plaintext login off loopback without TLS, and offers STLS', async () => {
    const h = harness({ loopback: false });
    expect(await h.send('CAPA')).not.toContain('USER\r\n');
    expect(await h.send('USER box@gateway.test')).toBe(
      '-ERR [AUTH] Plaintext authentication is not allowed without TLS; use STLS first\r\n',
    );
    expect(await h.send('PASS RIGHT')).toMatch(/^-ERR \[AUTH\]/);
    expect(await h.send('STLS')).toBe('+OK Begin TLS negotiation\r\n');
    expect(h.log.tlsStarted).toBe(true);
    const secure = harness({ loopback: false, secure: true });
    expect(await secure.send('USER box@gateway.test')).toMatch(/^\+OK/);
    expect(await secure.send('PASS RIGHT')).toMatch(/^\+OK/);
  });

  it('answers STAT, LIST and UIDL with exact sizes and stable unique ids', async () => {
    const h = await loggedIn();
    const sizes = MESSAGES.map((m) => Buffer.byteLength(m.body));
    expect(await h.send('STAT')).toBe(`+OK 3 ${sizes[0]! + sizes[1]! + sizes[2]!}\r\n`);
    expect(await h.send('LIST')).toBe(
      `+OK 3 messages (83 octets)\r\n1 ${sizes[0]}\r\n2 ${sizes[1]}\r\n3 ${sizes[2]}\r\n.\r\n`,
    );
    expect(await h.send('LIST 2')).toBe(`+OK 2 ${sizes[1]}\r\n`);
    expect(await h.send('LIST 4')).toBe('-ERR No message 4\r\n');
    expect(await h.send('LIST x')).toBe('-ERR A message number is required\r\n');
    expect(await h.send('UIDL')).toBe(
      '+OK Unique-ID listing follows\r\n1 uid-one\r\n2 uid-two\r\n3 uid-three\r\n.\r\n',
    );
    expect(await h.send('UIDL 3')).toBe('+OK 3 uid-three\r\n');
  });

  it('sends RETR dot-stuffed and TOP with n body lines', async () => {
    const h = await loggedIn();
    expect(await h.send('RETR 1')).toBe(
      `+OK ${Buffer.byteLength(MESSAGES[0]!.body)} octets\r\nSubject: one\r\n\r\nfirst\r\n..dot line\r\n.\r\n`,
    );
    expect(await h.send('TOP 2 0')).toBe('+OK Top of message follows\r\nSubject: two\r\n\r\n.\r\n');
    expect(await h.send('TOP 2 2')).toBe('+OK Top of message follows\r\nSubject: two\r\n\r\nA\r\nB\r\n.\r\n');
    expect(await h.send('TOP 2')).toMatch(/^-ERR/);
  });

  it('marks with DELE, undoes with RSET, and deletes only at QUIT', async () => {
    const h = await loggedIn();
    expect(await h.send('DELE 1')).toBe('+OK Message 1 deleted\r\n');
    expect(await h.send('DELE 1')).toBe('-ERR Message 1 is deleted\r\n');
    expect(await h.send('RETR 1')).toBe('-ERR Message 1 is deleted\r\n');
    expect(await h.send('STAT')).toBe(`+OK 2 ${83 - Buffer.byteLength(MESSAGES[0]!.body)}\r\n`);
    expect(await h.send('LIST')).not.toMatch(/\r\n1 /);
    expect(await h.send('RSET')).toBe('+OK 3 messages (83 octets)\r\n');
    expect(await h.send('DELE 2')).toMatch(/^\+OK/);
    expect(await h.send('DELE 3')).toMatch(/^\+OK/);
    expect(h.log.deleted).toEqual([]);
    expect(await h.send('NOOP')).toBe('+OK\r\n');
    expect(await h.send('QUIT')).toBe('+OK 2 messages deleted, 1 left; bye\r\n');
    expect(h.log.deleted).toEqual([['uid-two', 'uid-three']]);
    expect(h.log.released).toBe(1);
    expect(h.log.closed).toBe(true);
  });

  it('deletes nothing when the connection drops', async () => {
    const h = await loggedIn();
    await h.send('DELE 1');
    h.session.dropped();
    expect(h.log.deleted).toEqual([]);
    expect(h.log.released).toBe(1);
    expect(await h.send('QUIT')).toBe('');
  });

  it('answers [IN-USE] when another session holds the mailbox, and [AUTH] when throttled', async () => {
    for (const [error, reply] of [
      [new MaildropInUseError('busy'), '-ERR [IN-USE] The mailbox is open in another session\r\n'],
      [new RateLimitedError('slow down', 60), '-ERR [AUTH] Too many failed logins; try again later\r\n'],
      [new Error('disk gone'), '-ERR [SYS/TEMP] The mailbox cannot be opened now; try again later\r\n'],
    ] as const) {
      const h = harness({
        backend: {
          openMaildrop: () => Promise.reject(error),
        },
      });
      await h.send('USER box@gateway.test');
      expect(await h.send('PASS RIGHT')).toBe(reply);
      expect(h.session.currentState).toBe('authorization');
    }
  });

  it('releases a maildrop that opens after the client has gone', async () => {
    const log = { deleted: [] as string[][], released: 0 };
    let open!: (m: Maildrop) => void;
    const h = harness({
      backend: { openMaildrop: () => new Promise<Maildrop>((resolve) => (open = resolve)) },
    });
    await h.send('USER box@gateway.test');
    const pending = h.send('PASS RIGHT');
    h.session.dropped();
    open(fakeMaildrop(log));
    expect(await pending).toBe('');
    expect(log.released).toBe(1);
  });

  it('says goodbye to QUIT before login and rejects unknown commands', async () => {
    const h = harness();
    expect(await h.send('FOO')).toBe('-ERR FOO is not valid before login\r\n');
    expect(await h.send('APOP box x')).toBe('-ERR Only USER and PASS are supported\r\n');
    expect(await h.send('QUIT')).toBe('+OK Bye\r\n');
    expect(h.log.closed).toBe(true);
  });
});
