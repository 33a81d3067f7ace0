import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost, Pop3Client, Pop3Error } from './pop3-client.js';

/**
 * A scripted POP3 server: `reply(command)` answers each command line (strings are written as
 * given, so tests control every byte); the greeting goes first.
 */
async function scriptedServer(
  reply: (command: string, socket: Socket) => string | Buffer | null,
  options: { greeting?: string; host?: string } = {},
): Promise<{ server: Server; port: number; commands: string[] }> {
  const commands: string[] = [];
  const server = createServer((socket) => {
    socket.write(options.greeting ?? '+OK ready\r\n');
    let buffered = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let newline: number;
      while ((newline = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 2);
        commands.push(line);
        const answer = reply(line, socket);
        if (answer !== null) socket.write(answer);
        if (line === 'QUIT') socket.end();
      }
    });
  });
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { server, port: (server.address() as { port: number }).port, commands };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, 'close').catch(() => undefined);
  }
});

const connect = (port: number, host = '127.0.0.1', timeoutMs?: number) =>
  Pop3Client.connect({ host, port, security: 'stls', timeoutMs });

describe('Pop3Client', () => {
  it('logs in on loopback without STLS and retrieves exact bytes: dot-stuffing removed, line endings as sent', async () => {
    const body = Buffer.from(
      'Subject: x\r\n\r\n..\r\n...two\r\n.\xe9\xff\r\nlf only\nno dot . here\r\n',
      'latin1',
    );
    const { port, commands } = await scriptedServer((command) => {
      if (command === 'CAPA') return '+OK\r\nUSER\r\nUIDL\r\n.\r\n';
      if (command.startsWith('USER') || command.startsWith('PASS')) return '+OK\r\n';
      if (command === 'LIST') return '+OK 2 messages\r\n1 40\r\n2 5\r\n.\r\n';
      if (command === 'UIDL') return '+OK\r\n1 aaa\r\n2 bbb\r\n.\r\n';
      if (command === 'RETR 1')
        return Buffer.concat([Buffer.from('+OK 40 octets\r\n'), body, Buffer.from('.\r\n')]);
      if (command === 'RETR 2') return '+OK\r\n.\r\n';
      if (command === 'STAT') return '+OK 2 45\r\n';
      if (command.startsWith('DELE')) return '+OK\r\n';
      if (command === 'QUIT') return '+OK bye\r\n';
      return '-ERR what\r\n';
    });
    const client = await connect(port);
    expect(client.info).toEqual({ encrypted: false, how: 'plain', certificateChecked: false });
    await client.login('x7k2@gateway.example', 'pass word');
    expect(await client.stat()).toEqual({ count: 2, octets: 45 });
    expect(await client.listing()).toEqual([
      { number: 1, uid: 'aaa', size: 40 },
      { number: 2, uid: 'bbb', size: 5 },
    ]);
    // Pipelined from concurrent callers: answered in order.
    const [one, two] = await Promise.all([client.retr(1), client.retr(2), client.dele(1)]);
    expect(
      one.equals(
        Buffer.from('Subject: x\r\n\r\n.\r\n..two\r\n\xe9\xff\r\nlf only\nno dot . here\r\n', 'latin1'),
      ),
    ).toBe(true);
    expect(two.length).toBe(0);
    await client.quit();
    expect(commands).toEqual([
      'CAPA',
      'USER x7k2@gateway.example',
      'PASS pass word',
      'STAT',
      'LIST',
      'UIDL',
      'RETR 1',
      'RETR 2',
      'DELE 1',
      'QUIT',
    ]);
  });

  it('surfaces -ERR texts', async () => {
    const { port } = await scriptedServer((command) => {
      if (command === 'CAPA') return '-ERR unknown\r\n';
      if (command.startsWith('USER')) return '+OK\r\n';
      if (command.startsWith('PASS')) return '-ERR [AUTH] Wrong mailbox address or password\r\n';
      return '-ERR no\r\n';
    });
    const client = await connect(port);
    const failure = await client.login('a@b', 'wrong').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3Error);
    expect((failure as Pop3Error).message).toBe(
      'the POP3 server refused the login: -ERR [AUTH] Wrong mailbox address or password',
    );
    expect((failure as Pop3Error).reply).toBe('-ERR [AUTH] Wrong mailbox address or password');
    client.destroy();
  });

  it('works without UIDL (uid null) and reports a dropped connection mid-message', async () => {
    const { port } = await scriptedServer((command, socket) => {
      if (command === 'CAPA') return '-ERR\r\n';
      if (command === 'LIST') return '+OK\r\n1 10\r\n.\r\n';
      if (command === 'UIDL') return '-ERR no UIDL here\r\n';
      if (command === 'RETR 1') {
        socket.end('+OK\r\nSubject: cut');
        return null;
      }
      return '+OK\r\n';
    });
    const client = await connect(port);
    expect(await client.listing()).toEqual([{ number: 1, uid: null, size: 10 }]);
    await expect(client.retr(1)).rejects.toThrow(/closed the connection/);
    await expect(client.dele(1)).rejects.toThrow(Pop3Error);
    client.destroy();
  });

  it('times out when the server says nothing', async () => {
    const { port } = await scriptedServer(() => null, { greeting: '' });
    await expect(connect(port, '127.0.0.1', 300)).rejects.toThrow(/did not answer within 0.3 s/);
  });

  it('refuses a connection refused clearly', async () => {
    const { server, port } = await scriptedServer(() => null);
    server.close();
    await once(server, 'close');
    await expect(connect(port)).rejects.toThrow(/refused the connection/);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  it.skipIf(!external)(
    'does not send a password in plain text off loopback when there is no STLS',
    async () => {
      const { port, commands } = await scriptedServer(
        (command) => (command === 'CAPA' ? '+OK\r\nUSER\r\n.\r\n' : '+OK\r\n'),
        { host: '0.0.0.0' },
      );
      await expect(connect(port, external)).rejects.toThrow(/does not offer STLS/);
      expect(commands).toEqual(['CAPA']);
    },
  );

  it('knows loopback hosts', () => {
    expect(
      ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].map(isLoopbackHost),
    ).toEqual([true, true, true, true, true, true]);
    expect(['10.0.0.1', 'gateway.example', '::2'].map(isLoopbackHost)).toEqual([false, false, false]);
  });
});
