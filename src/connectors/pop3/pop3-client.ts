import { connect as netConnect, isIP, isIPv4, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { PostvaultError } from '../../core/errors.js';

/** A POP3 failure: an -ERR reply (its text in `reply`), a refused or lost connection, a timeout. */
export class Pop3Error extends PostvaultError {
  override name = 'Pop3Error';
  constructor(
    message: string,
    /** The server's reply line when it answered -ERR. */
    readonly reply?: string,
  ) {
    super(message, reply === undefined ? undefined : { reply });
  }
}

/**
 * How the connection is protected:
 * - `tls`: implicit TLS from the first byte (pop3s://, port 995);
 * - `stls`: plain TCP upgraded with STLS (RFC 2595) before the password is sent (pop3://).
 */
export type Pop3Security = 'tls' | 'stls';

export interface Pop3ConnectOptions {
  host: string;
  port: number;
  security: Pop3Security;
  /** Extra trusted CA certificates (PEM), e.g. a gateway's self-signed certificate. */
  ca?: string;
  /** Do not check the server's certificate at all (the connection is still encrypted). */
  insecure?: boolean;
  /** Idle time allowed for connecting and for each reply, default 60 s. */
  timeoutMs?: number;
}

/** What protects a connection, for the user: "TLS", "TLS via STLS", "plain (loopback)". */
export interface Pop3ConnectionInfo {
  encrypted: boolean;
  how: 'tls' | 'stls' | 'plain';
  /** The certificate was checked against the trusted CAs and the host name. */
  certificateChecked: boolean;
}

export interface Pop3Listing {
  /** Message number (1-based, valid for this session). */
  number: number;
  /** UIDL unique id; null when the server has no UIDL. */
  uid: string | null;
  /** Size in octets as LIST reports it. */
  size: number;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare.toLowerCase() === 'localhost') return true;
  const v4 = bare.toLowerCase().startsWith('::ffff:') ? bare.slice(7) : bare;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return bare === '::1';
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** A line longer than this is not POP3 (RFC 1939 status lines are ≤ 512 octets; body lines ≤ 998 + slack). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

const CRLF_DOT = Buffer.from('.\r\n');
const LF_DOT = Buffer.from('.\n');

/**
 * Splits the byte stream into lines (each with its own line ending, as received) without copying
 * more than a line's pieces, and hands them out in order.
 */
class LineReader {
  private readonly lines: Buffer[] = [];
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private waiter: { resolve: (line: Buffer) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  push(chunk: Buffer): void {
    let start = 0;
    let newline: number;
    while ((newline = chunk.indexOf(0x0a, start)) >= 0) {
      const piece = chunk.subarray(start, newline + 1);
      const line =
        this.partial.length > 0
          ? Buffer.concat([...this.partial, piece], this.partialBytes + piece.length)
          : piece;
      this.partial = [];
      this.partialBytes = 0;
      this.deliver(line);
      start = newline + 1;
    }
    if (start < chunk.length) {
      this.partial.push(chunk.subarray(start));
      this.partialBytes += chunk.length - start;
      if (this.partialBytes > MAX_LINE_BYTES)
        this.fail(new Pop3Error('the POP3 server sent a line too long'));
    }
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  next(): Promise<Buffer> {
    const line = this.lines.shift();
    if (line) return Promise.resolve(line);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Lines received and not yet read (they must not be, after STLS). */
  get buffered(): number {
    return this.lines.length + this.partial.length;
  }

  private deliver(line: Buffer): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve(line);
    } else {
      this.lines.push(line);
    }
  }
}

const text = (line: Buffer) => line.toString('utf8').replace(/\r?\n$/, '');

/**
 * A POP3 client (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595) for taking mail out of a
 * maildrop: USER/PASS, STAT, UIDL, LIST, RETR, DELE, QUIT. Commands are sent one at a time in the
 * order they are called (each waits for the previous reply), so callers may issue them from
 * concurrent tasks. Message bytes come back exactly as the server holds them: only the
 * dot-stuffing and the terminating "." line are removed, line endings stay as received.
 */
export class Pop3Client {
  private socket: Socket;
  private reader = new LineReader();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private onData = (chunk: Buffer) => this.reader.push(chunk);

  private constructor(
    socket: Socket,
    private readonly server: string,
    private readonly timeoutMs: number,
    public info: Pop3ConnectionInfo,
  ) {
    this.socket = socket;
    this.watch(socket);
  }

  /**
   * Connects and reads the greeting; with `stls`, upgrades with STLS when the server offers it.
   * Without TLS the password may only go to a loopback address: otherwise this refuses to connect.
   */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const server = `${options.host}:${options.port}`;
    const loopback = isLoopbackHost(options.host);
    const tlsOptions = {
      ...(options.ca ? { ca: options.ca } : {}),
      ...(isIP(options.host) ? {} : { servername: options.host }),
      rejectUnauthorized: options.insecure !== true,
    };
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket =
        options.security === 'tls'
          ? tlsConnect({ host: options.host, port: options.port, ...tlsOptions })
          : netConnect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Pop3Error(`no connection to the POP3 server ${server} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      s.once(options.security === 'tls' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        reject(connectionError(server, error));
      });
    });
    const client = new Pop3Client(socket, server, timeoutMs, {
      encrypted: options.security === 'tls',
      how: options.security === 'tls' ? 'tls' : 'plain',
      certificateChecked: options.security === 'tls' && options.insecure !== true,
    });
    try {
      client.expectOk(await client.readLine(), 'greeting');
      if (options.security === 'stls') {
        const capabilities = await client.capa();
        if (capabilities.includes('STLS')) {
          // On loopback the certificate is not required to check out: the password could as well go
          // in plain text there (no network in between), so TLS can only add to it.
          await client.startTls({
            ...tlsOptions,
            rejectUnauthorized: !loopback && options.insecure !== true,
          });
        } else if (!loopback) {
          throw new Pop3Error(
            `the POP3 server ${server} does not offer STLS: the password is not sent in plain text ` +
              'over a network (use pop3s:// if the server speaks TLS from the start)',
          );
        }
      }
    } catch (error) {
      client.destroy();
      throw error;
    }
    return client;
  }

  /** CAPA (RFC 2449): the capability names in upper case; [] when the server does not know CAPA. */
  capa(): Promise<string[]> {
    return this.command('CAPA', async () => {
      const first = await this.readLine();
      if (!first.subarray(0, 3).equals(Buffer.from('+OK'))) return [];
      const lines = await this.readMultiline();
      return lines
        .toString('utf8')
        .split(/\r?\n/)
        .filter((l) => l.length > 0)
        .map((l) => l.split(' ')[0]!.toUpperCase());
    });
  }

  /** USER + PASS. A refusal becomes a Pop3Error with the server's -ERR text. */
  login(user: string, password: string): Promise<void> {
    if (/[\r\n]/.test(user) || /[\r\n]/.test(password))
      return Promise.reject(new Pop3Error('a POP3 user name or password cannot contain line breaks'));
    if (!this.info.encrypted && !this.loopbackPeer())
      return Promise.reject(new Pop3Error('refusing to send a password in plain text over a network'));
    return this.command(null, async () => {
      await this.send(`USER ${user}`);
      const userReply = await this.readLine();
      if (!isOk(userReply)) throw this.refusal('the POP3 server refused the user name', userReply);
      await this.send(`PASS ${password}`);
      const passReply = await this.readLine();
      if (!isOk(passReply)) throw this.refusal('the POP3 server refused the login', passReply);
    });
  }

  /** STAT: messages and octets in the maildrop (not counting those marked deleted). */
  stat(): Promise<{ count: number; octets: number }> {
    return this.command('STAT', async () => {
      const reply = await this.okLine('STAT');
      const match = /^\+OK (\d+) (\d+)/.exec(text(reply));
      if (!match) throw new Pop3Error(`unexpected STAT reply from ${this.server}: ${text(reply)}`);
      return { count: Number(match[1]), octets: Number(match[2]) };
    });
  }

  /**
   * LIST and UIDL together: every message's number, size and unique id (null for every message when
   * the server has no UIDL).
   */
  async listing(): Promise<Pop3Listing[]> {
    const sizes = await this.multilinePairs('LIST');
    let uids: Map<number, string> | null;
    try {
      uids = await this.multilinePairs('UIDL');
    } catch (error) {
      if (error instanceof Pop3Error && error.reply !== undefined) uids = null;
      else throw error;
    }
    return [...sizes].map(([number, size]) => ({
      number,
      size: Number(size),
      uid: uids?.get(number) ?? null,
    }));
  }

  /** RETR: the message's exact bytes (dot-stuffing removed, line endings as received). */
  retr(number: number): Promise<Buffer> {
    return this.command(`RETR ${number}`, async () => {
      await this.okLine(`RETR ${number}`);
      return this.readMultiline();
    });
  }

  /** DELE: marks the message; the server removes it at QUIT (a dropped connection removes nothing). */
  dele(number: number): Promise<void> {
    return this.command(`DELE ${number}`, async () => {
      await this.okLine(`DELE ${number}`);
    });
  }

  /**
   * QUIT: the server removes the messages marked with DELE (UPDATE state) and says whether that
   * worked; a -ERR means some deletions were not applied.
   */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT', async () => {
        await this.okLine('QUIT');
      });
    } finally {
      this.destroy();
    }
  }

  /** Ends the connection without QUIT: the server deletes nothing of this session. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private loopbackPeer(): boolean {
    return isLoopbackHost(this.socket.remoteAddress ?? '');
  }

  private async startTls(options: {
    ca?: string;
    servername?: string;
    rejectUnauthorized: boolean;
  }): Promise<void> {
    await this.command('STLS', async () => {
      await this.okLine('STLS');
      if (this.reader.buffered > 0)
        throw new Pop3Error(`the POP3 server ${this.server} sent data after its STLS reply (refused)`);
      const plain = this.socket;
      plain.off('data', this.onData);
      plain.setTimeout(0);
      plain.removeAllListeners('timeout');
      plain.removeAllListeners('error');
      plain.removeAllListeners('close');
      const secure = await new Promise<TLSSocket>((resolve, reject) => {
        const s = tlsConnect({ socket: plain, ...options });
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Pop3Error(`TLS with ${this.server} did not start within ${this.timeoutMs / 1000} s`));
        }, this.timeoutMs);
        s.once('secureConnect', () => {
          clearTimeout(timer);
          s.removeAllListeners('error');
          resolve(s);
        });
        s.once('error', (error) => {
          clearTimeout(timer);
          reject(connectionError(this.server, error));
        });
      });
      this.socket = secure;
      this.reader = new LineReader();
      this.watch(secure);
      this.info = { encrypted: true, how: 'stls', certificateChecked: options.rejectUnauthorized };
    });
  }

  private watch(socket: Socket): void {
    socket.on('data', this.onData);
    socket.setTimeout(this.timeoutMs, () => {
      this.reader.fail(
        new Pop3Error(`the POP3 server ${this.server} did not answer within ${this.timeoutMs / 1000} s`),
      );
      socket.destroy();
    });
    socket.on('error', (error) => this.reader.fail(connectionError(this.server, error)));
    socket.on('close', () =>
      this.reader.fail(
        new Pop3Error(
          this.closed
            ? 'the POP3 connection is closed'
            : `the POP3 server ${this.server} closed the connection`,
        ),
      ),
    );
  }

  /** Runs one exchange after the previous ones; `line` (if any) is sent first. */
  private command<T>(line: string | null, exchange: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.closed) throw new Pop3Error('the POP3 connection is closed');
      if (line !== null) await this.send(line);
      return exchange();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private send(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(`${line}\r\n`, (error) =>
        error ? reject(connectionError(this.server, error)) : resolve(),
      );
    });
  }

  private readLine(): Promise<Buffer> {
    return this.reader.next();
  }

  private async okLine(what: string): Promise<Buffer> {
    const reply = await this.readLine();
    if (!isOk(reply)) throw this.refusal(`the POP3 server refused ${what.split(' ')[0]}`, reply);
    return reply;
  }

  private expectOk(reply: Buffer, what: string): void {
    if (!isOk(reply))
      throw this.refusal(`the POP3 server ${this.server} refused the connection (${what})`, reply);
  }

  private refusal(message: string, reply: Buffer): Pop3Error {
    const line = text(reply);
    return new Pop3Error(`${message}: ${line}`, line);
  }

  /** The lines after a +OK up to the "." line: un-dot-stuffed, line endings as received. */
  private async readMultiline(): Promise<Buffer> {
    const pieces: Buffer[] = [];
    let bytes = 0;
    for (;;) {
      const line = await this.readLine();
      if (line[0] === 0x2e) {
        if (line.equals(CRLF_DOT) || line.equals(LF_DOT)) break;
        const unstuffed = line.subarray(1);
        pieces.push(unstuffed);
        bytes += unstuffed.length;
      } else {
        pieces.push(line);
        bytes += line.length;
      }
    }
    return Buffer.concat(pieces, bytes);
  }

  /** LIST or UIDL without argument: "number value" per line. */
  private multilinePairs(command: 'LIST' | 'UIDL'): Promise<Map<number, string>> {
    return this.command(command, async () => {
      await this.okLine(command);
      const body = (await this.readMultiline()).toString('utf8');
      const pairs = new Map<number, string>();
      for (const line of body.split(/\r?\n/)) {
        if (!line) continue;
        const match = /^(\d+) (\S+)/.exec(line);
        if (!match) throw new Pop3Error(`unexpected ${command} line from ${this.server}: ${line}`);
        pairs.set(Number(match[1]), match[2]!);
      }
      return pairs;
    });
  }
}

function isOk(line: Buffer): boolean {
  return line.length >= 3 && line[0] === 0x2b && line[1] === 0x4f && line[2] === 0x4b;
}

function connectionError(server: string, error: Error): Pop3Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return new Pop3Error(`the POP3 server ${server} refused the connection`);
  if (code === 'ENOTFOUND') return new Pop3Error(`the POP3 server's name in ${server} is not known`);
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/.test(code))
    return new Pop3Error(
      `the certificate of the POP3 server ${server} is not trusted (${error.message}); ` +
        'trust it with --ca-file (POSTVAULT_POP3_CA_FILE) or, knowing the risk, --insecure',
    );
  return new Pop3Error(`POP3 connection to ${server} failed: ${code ? `${code}: ` : ''}${error.message}`);
}
