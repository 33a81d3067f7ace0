import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** What the SMTP listeners (journal intake, gateway intake) return once they listen. */
export interface RunningSmtp {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** An SMTP reply that smtp-server sends as given (with its enhanced status code added). */
export function smtpReply(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * smtp-server waits a hard-coded 100 ms before every greeting to catch clients that talk too early.
 * For an intake that mail servers deliver to (often one message per connection) that caps a
 * connection near 10 messages per second, so this server greets at once; the connection limits are
 * checked exactly as smtp-server checks them.
 */
export class PromptSMTPServer extends SMTPServer {
  override connect(socket: Socket, socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    const connections = this.connections;
    const add = connections.add.bind(connections);
    connections.add = (connection) => {
      connection.init = () =>
        connection._setListeners(() => {
          const max = this.options.maxClients;
          if (max && this.connections.size > max) {
            connection.send(421, `${connection.name} Too many connected clients, try again in a moment`);
            connection.close();
            return;
          }
          connection.connectionReady();
        });
      return add(connection);
    };
    try {
      super.connect(socket, socketOptions);
    } finally {
      // Restores Set.prototype.add, which the instance property shadowed.
      delete (connections as { add?: unknown }).add;
    }
  }
}

/** Listens and resolves with the bound address; close() waits for the connections to end. */
export async function listenSmtp(server: SMTPServer, host: string, port: number): Promise<RunningSmtp> {
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
