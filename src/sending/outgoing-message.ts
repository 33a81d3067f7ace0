/** A message ready to leave: the envelope and the exact bytes that go out as DATA (or to Graph). */
export interface OutgoingMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

/** What the peer said when it took the message (the SMTP reply, or Graph's 202). */
export interface DeliveryReport {
  /** 'smtp' or 'microsoft365'. */
  kind: 'smtp' | 'microsoft365';
  response: string;
}

/**
 * Why a message did not go out. `transient` failures (SMTP 4xx, a connection that failed, Graph
 * 429/503/504) are retried; `retryAfterMs` is the peer's Retry-After when it gave one. `detail` is
 * what the admin sees: the SMTP reply or the Graph error code and message.
 */
export class SendError extends Error {
  override readonly name = 'SendError';
  /** Which way it was tried ('system-smtp', …), when known. */
  transport: string | null = null;
  constructor(
    message: string,
    readonly transient: boolean,
    readonly detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Something that delivers an OutgoingMessage. */
export interface MailTransport {
  send(message: OutgoingMessage): Promise<DeliveryReport>;
}

const NON_ASCII = /[^\u0020-\u007e]/;

/** An internationalized address (RFC 6531) needs SMTPUTF8 end to end. */
export function isInternationalized(address: string): boolean {
  return NON_ASCII.test(address);
}
