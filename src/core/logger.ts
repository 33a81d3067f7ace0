import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stderr so that CLI output on stdout stays machine-readable. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'postvault' } }, pino.destination(2));
}
