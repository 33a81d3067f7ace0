import { createServer, isIPv4, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { Logger } from '../../core/logger.js';
import { Pop3Session, type Pop3Backend, type Pop3Connection } from './pop3-session.js';

export interface Pop3ServerOptions {
  host: string;
  port: number;
  /** Name in the greeting. */
  hostname: string;
  /** For STLS; without it STLS is not offered. */
  tls?: { key: string; cert: string };
  /** POP3S (RFC 8314): TLS from the first byte with `tls`, no STLS. */
  implicitTls?: boolean;
  maxConnections?: number;
  maxConnectionsPerPeer?: number;
  /** RFC 1939 asks for at least 10 minutes. */
  idleTimeoutSeconds?: number;
}

export interface RunningPop3 {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** RFC 2449 allows 255 octets per command line; a little slack for clients that pad. */
const MAX_LINE = 1024;

export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

/**
 * The gateway's POP3 listener: sockets, line framing, STLS and limits. Each connection gets a
 * Pop3Session, fed one line at a time; commands a client pipelines wait their turn.
 */
export async function startPop3Server(
  backend: Pop3Backend,
  options: Pop3ServerOptions,
  logger: Logger,
): Promise<RunningPop3> {
  const secureContext = options.tls ? createSecureContext(options.tls) : undefined;
  const perPeer = new Map<string, number>();
  const sockets = new Set<Socket>();
  const maxConnections = options.maxConnections ?? 200;
  const maxPerPeer = options.maxConnectionsPerPeer ?? 20;
  const idleMs = (options.idleTimeoutSeconds ?? 600) * 1000;

  if (options.implicitTls && !options.tls) throw new Error('POP3S needs a certificate and key');
  const onConnection = (raw: Socket) => {
    const peer = raw.remoteAddress ?? '';
    const open = (perPeer.get(peer) ?? 0) + 1;
    perPeer.set(peer, open);
    sockets.add(raw);
    raw.once('close', () => {
      sockets.delete(raw);
      const left = (perPeer.get(peer) ?? 1) - 1;
      if (left <= 0) perPeer.delete(peer);
      else perPeer.set(peer, left);
    });
    raw.on('error', () => undefined);
    // Replies are written as they are ready ("+OK", then the body in pieces, then "."): with Nagle's
    // algorithm each small write after the first waits for the client's delayed ACK (~40 ms).
    raw.setNoDelay(true);
    if (sockets.size > maxConnections || open > maxPerPeer) {
      raw.end('-ERR [SYS/TEMP] Too many connections, try again later\r\n');
      return;
    }
    serveConnection(raw, peer, options.implicitTls === true);
  };
  const server = options.implicitTls
    ? createTlsServer({ ...options.tls, handshakeTimeout: 30_000 }, onConnection)
    : createServer(onConnection);

  function serveConnection(raw: Socket, peer: string, alreadySecure: boolean): void {
    let socket: Socket = raw;
    let secure = alreadySecure;
    let closed = false;
    let buffered: Buffer = Buffer.alloc(0);
    let lines: string[] = [];
    let working = false;

    const connection: Pop3Connection = {
      peer,
      get secure() {
        return secure;
      },
      loopback: isLoopback(peer),
      get canStartTls() {
        return secureContext !== undefined && !secure;
      },
      write(data) {
        if (closed) return Promise.reject(new Error('connection closed'));
        return new Promise<void>((resolve, reject) => {
          if (socket.write(data)) return resolve();
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            if (closed) reject(new Error('connection closed'));
            else resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        });
      },
      startTls() {
        // Whatever the client sent after STLS in plaintext is dropped (STARTTLS command injection).
        lines = [];
        buffered = Buffer.alloc(0);
        socket.off('data', onData);
        const tls = new TLSSocket(raw, { isServer: true, secureContext });
        socket = tls;
        tls.on('error', () => raw.destroy());
        tls.on('data', onData);
        return new Promise<void>((resolve) => {
          tls.once('secure', () => {
            secure = true;
            resolve();
          });
          tls.once('close', () => resolve());
        });
      },
      close() {
        closed = true;
        socket.end();
      },
    };
    const session = new Pop3Session(connection, backend, options.hostname);

    const work = async () => {
      if (working) return;
      working = true;
      try {
        while (lines.length > 0 && !closed) {
          const line = lines.shift()!;
          await session.handle(line);
        }
      } catch (error) {
        if (!closed) logger.warn({ err: error }, 'gateway POP3: a command failed');
        socket.destroy();
      } finally {
        working = false;
      }
    };

    function onData(chunk: Buffer): void {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      let newline: number;
      while ((newline = buffered.indexOf(0x0a)) >= 0) {
        const line = buffered.subarray(0, newline).toString('utf8').replace(/\r$/, '');
        buffered = buffered.subarray(newline + 1);
        lines.push(line);
      }
      if (buffered.length > MAX_LINE || lines.length > 100) {
        void connection.write('-ERR Line too long\r\n').catch(() => undefined);
        connection.close();
        return;
      }
      void work();
    }

    raw.setTimeout(idleMs, () => {
      void connection
        .write('-ERR Idle too long, closing\r\n')
        .catch(() => undefined)
        .finally(() => raw.destroy());
    });
    raw.once('close', () => {
      closed = true;
      session.dropped();
    });
    raw.on('data', onData);
    void connection.write(session.greeting()).catch(() => undefined);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.warn({ err: error }, 'gateway POP3 listener error'));
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A dropped connection deletes nothing: ending open sessions is safe.
        for (const socket of sockets) socket.destroy();
      }),
  };
}
