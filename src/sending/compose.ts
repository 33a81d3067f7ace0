import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

/** A message Postvault writes itself (test mail, support request, sign-in details). */
export interface MailParts {
  to: string;
  subject: string;
  text: string;
  replyTo?: string;
  attachments?: Array<{ filename: string; contentType: string; content: string }>;
  /** Fixed when the message is queued, so a message sent twice (at-least-once) is recognizably one. */
  messageId?: string;
  date?: string;
}

export function newMessageId(hostname: string): string {
  return `<${randomUUID()}@${hostname}>`;
}

/** The parts as MIME, from the sender the message leaves with (decided when it is sent). */
export function compose(
  parts: MailParts,
  from: { address: string; name: string },
  hostname: string,
): Promise<Buffer> {
  const composer = new MailComposer({
    from: from.name ? { name: from.name, address: from.address } : from.address,
    to: parts.to,
    ...(parts.replyTo ? { replyTo: parts.replyTo } : {}),
    subject: parts.subject,
    text: parts.text,
    attachments: parts.attachments ?? [],
    messageId: parts.messageId ?? newMessageId(hostname),
    date: parts.date ? new Date(parts.date) : new Date(),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return new Promise((resolve, reject) =>
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message))),
  );
}
