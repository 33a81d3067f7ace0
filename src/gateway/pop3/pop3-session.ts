import { RateLimitedError, UnauthenticatedError } from '../../core/errors.js';
import { MaildropInUseError, type Maildrop } from '../gateway.service.js';
import { DotStuffer, TopCutter } from './pop3-body.js';

/** What the session needs of its connection; the server gives it a socket, tests a fake. */
export interface Pop3Connection {
  /** The peer's IP address (for the login throttle). */
  readonly peer: string;
  /** TLS is up (after STLS). */
  readonly secure: boolean;
  /** The peer is this machine: a plaintext password does not cross a network. */
  readonly loopback: boolean;
  /** STLS can be offered (a certificate is configured and TLS is not up yet). */
  readonly canStartTls: boolean;
  /** Resolves when the bytes are handed to the socket (waits while its buffer is full). */
  write(data: string | Buffer): Promise<void>;
  /** Called after "+OK" to STLS: switch to TLS; later lines arrive over TLS. */
  startTls(): Promise<void>;
  close(): void;
}

/** What authenticates a POP3 user: the gateway service's openMaildrop. */
export interface Pop3Backend {
  openMaildrop(user: string, password: string, peer: string): Promise<Maildrop>;
}

export type Pop3State = 'authorization' | 'transaction' | 'closed';

const OK = (text = '') => `+OK${text ? ` ${text}` : ''}\r\n`;
const ERR = (text: string) => `-ERR ${text}\r\n`;

/**
 * One POP3 session (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595) as a state machine over
 * lines: AUTHORIZATION → TRANSACTION → UPDATE (at QUIT). The server feeds it one command line at
 * a time, in order, and waits for each; the session writes its replies itself (bodies are
 * streamed). Every decision about mailboxes and passwords is the backend's.
 */
export class Pop3Session {
  private state: Pop3State = 'authorization';
  private user: string | null = null;
  private maildrop: Maildrop | null = null;
  private deleted = new Set<number>();

  constructor(
    private readonly connection: Pop3Connection,
    private readonly backend: Pop3Backend,
    private readonly hostname: string,
  ) {}

  get currentState(): Pop3State {
    return this.state;
  }

  greeting(): string {
    return OK(`Postvault gateway POP3 ready on ${this.hostname}`);
  }

  /** One command line without its CRLF. */
  async handle(line: string): Promise<void> {
    if (this.state === 'closed') return;
    const space = line.indexOf(' ');
    const command = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const rest = space < 0 ? '' : line.slice(space + 1);
    const args = rest.split(' ').filter((a) => a.length > 0);
    if (command === 'QUIT') return this.quit();
    if (command === 'CAPA') return this.capa();
    if (this.state === 'authorization') return this.authorization(command, args, rest);
    return this.transaction(command, args);
  }

  /** The connection ended without QUIT: nothing is deleted (RFC 1939, section 6). */
  dropped(): void {
    this.state = 'closed';
    this.maildrop?.release();
    this.maildrop = null;
  }

  private plaintextAllowed(): boolean {
    return this.connection.secure || this.connection.loopback;
  }

  private async capa(): Promise<void> {
    const lines = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
    if (this.state === 'authorization') {
      if (this.plaintextAllowed()) lines.push('USER');
      if (this.connection.canStartTls) lines.push('STLS');
    }
    lines.push('IMPLEMENTATION Postvault');
    await this.connection.write(
      `${OK('Capability list follows')}${lines.map((l) => `${l}\r\n`).join('')}.\r\n`,
    );
  }

  private async authorization(command: string, args: string[], rest: string): Promise<void> {
    const write = (s: string) => this.connection.write(s);
    switch (command) {
      case 'USER': {
        if (!this.plaintextAllowed()) {
          return write(ERR('[AUTH] Plaintext authentication is not allowed without TLS; use STLS first'));
        }
        if (args.length !== 1) return write(ERR('USER takes the mailbox address'));
        this.user = args[0]!;
        return write(OK('Send the mailbox password'));
      }
      case 'PASS': {
        if (!this.plaintextAllowed()) {
          return write(ERR('[AUTH] Plaintext authentication is not allowed without TLS; use STLS first'));
        }
        const user = this.user;
        this.user = null;
        if (user === null) return write(ERR('USER first'));
        // The password is the rest of the line: RFC 1939 allows spaces in it.
        return this.login(user, rest);
      }
      case 'STLS': {
        if (!this.connection.canStartTls) return write(ERR('TLS is not available here'));
        this.user = null;
        await write(OK('Begin TLS negotiation'));
        return this.connection.startTls();
      }
      case 'APOP':
      case 'AUTH':
        return write(ERR('Only USER and PASS are supported'));
      default:
        return write(ERR(`${command || 'empty command'} is not valid before login`));
    }
  }

  private async login(user: string, password: string): Promise<void> {
    let maildrop: Maildrop;
    try {
      maildrop = await this.backend.openMaildrop(user, password, this.connection.peer);
    } catch (error) {
      if (error instanceof MaildropInUseError)
        return this.connection.write(ERR('[IN-USE] The mailbox is open in another session'));
      if (error instanceof RateLimitedError)
        return this.connection.write(ERR('[AUTH] Too many failed logins; try again later'));
      if (error instanceof UnauthenticatedError)
        return this.connection.write(ERR('[AUTH] Wrong mailbox address or password'));
      return this.connection.write(ERR('[SYS/TEMP] The mailbox cannot be opened now; try again later'));
    }
    if (this.state === 'closed') {
      // The peer left while the password was being checked.
      maildrop.release();
      return;
    }
    this.maildrop = maildrop;
    this.state = 'transaction';
    const { count, octets } = this.totals();
    await this.connection.write(OK(`Mailbox open, ${count} messages (${octets} octets)`));
  }

  private totals(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    this.maildrop!.messages.forEach((m, i) => {
      if (this.deleted.has(i)) return;
      count += 1;
      octets += m.size;
    });
    return { count, octets };
  }

  /** The 0-based index of a message-number argument, or the -ERR to answer. */
  private messageIndex(arg: string | undefined): number | string {
    if (arg === undefined || !/^\d{1,9}$/.test(arg)) return ERR('A message number is required');
    const index = Number(arg) - 1;
    if (index < 0 || index >= this.maildrop!.messages.length) return ERR(`No message ${arg}`);
    if (this.deleted.has(index)) return ERR(`Message ${arg} is deleted`);
    return index;
  }

  private async transaction(command: string, args: string[]): Promise<void> {
    const write = (s: string) => this.connection.write(s);
    const maildrop = this.maildrop!;
    switch (command) {
      case 'STAT': {
        const { count, octets } = this.totals();
        return write(OK(`${count} ${octets}`));
      }
      case 'LIST':
      case 'UIDL': {
        const field = (i: number) =>
          command === 'LIST' ? String(maildrop.messages[i]!.size) : maildrop.messages[i]!.uid;
        if (args.length > 0) {
          const index = this.messageIndex(args[0]);
          if (typeof index === 'string') return write(index);
          return write(OK(`${index + 1} ${field(index)}`));
        }
        const lines: string[] = [];
        maildrop.messages.forEach((_m, i) => {
          if (!this.deleted.has(i)) lines.push(`${i + 1} ${field(i)}\r\n`);
        });
        const { count, octets } = this.totals();
        const heading =
          command === 'LIST' ? `${count} messages (${octets} octets)` : 'Unique-ID listing follows';
        return write(`${OK(heading)}${lines.join('')}.\r\n`);
      }
      case 'RETR': {
        const index = this.messageIndex(args[0]);
        if (typeof index === 'string') return write(index);
        return this.sendMessage(index, OK(`${maildrop.messages[index]!.size} octets`));
      }
      case 'TOP': {
        const index = this.messageIndex(args[0]);
        if (typeof index === 'string') return write(index);
        if (args[1] === undefined || !/^\d{1,9}$/.test(args[1]))
          return write(ERR('TOP takes a message number and a number of lines'));
        return this.sendMessage(index, OK('Top of message follows'), new TopCutter(Number(args[1])));
      }
      case 'DELE': {
        const index = this.messageIndex(args[0]);
        if (typeof index === 'string') return write(index);
        this.deleted.add(index);
        return write(OK(`Message ${index + 1} deleted`));
      }
      case 'RSET': {
        this.deleted.clear();
        const { count, octets } = this.totals();
        return write(OK(`${count} messages (${octets} octets)`));
      }
      case 'NOOP':
        return write(OK());
      default:
        return write(ERR(`${command || 'empty command'} is not a POP3 command here`));
    }
  }

  /**
   * Streams a message (or its top) decrypted, dot-stuffed and terminated. The first piece is read
   * before "+OK", so a message that does not open (damaged, wrong key) is a clean -ERR; a failure
   * later can only end the connection, and the missing terminator tells the client.
   */
  private async sendMessage(index: number, ok: string, cutter?: TopCutter): Promise<void> {
    const iterator = this.maildrop!.read(index)[Symbol.asyncIterator]();
    let next: IteratorResult<Buffer>;
    try {
      next = await iterator.next();
    } catch {
      await iterator.return?.();
      return this.connection.write(ERR(`[SYS/PERM] Message ${index + 1} cannot be read`));
    }
    const stuffer = new DotStuffer();
    await this.connection.write(ok);
    try {
      while (!next.done) {
        const piece = cutter ? cutter.take(next.value) : next.value;
        if (piece.length > 0) await this.connection.write(stuffer.stuff(piece));
        if (cutter?.finished) break;
        next = await iterator.next();
      }
    } catch {
      this.state = 'closed';
      this.connection.close();
      return;
    } finally {
      await iterator.return?.();
    }
    await this.connection.write(stuffer.end());
  }

  private async quit(): Promise<void> {
    const maildrop = this.maildrop;
    if (this.state === 'transaction' && maildrop) {
      // UPDATE state.
      const doomed = [...this.deleted];
      let reply: string;
      try {
        await maildrop.deleteMessages(doomed);
        const left = maildrop.messages.length - doomed.length;
        reply = OK(`${doomed.length} messages deleted, ${left} left; bye`);
      } catch {
        reply = ERR('[SYS/TEMP] Some deleted messages were not removed');
      }
      maildrop.release();
      this.maildrop = null;
      this.state = 'closed';
      await this.connection.write(reply).catch(() => undefined);
    } else {
      this.state = 'closed';
      await this.connection.write(OK('Bye')).catch(() => undefined);
    }
    this.connection.close();
  }
}
