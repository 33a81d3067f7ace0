import { randomBytes } from 'node:crypto';
import { seededRandom } from './bench-util.js';

const FIRST = [
  'Anna',
  'Ben',
  'Carla',
  'David',
  'Elif',
  'Farid',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Kira',
  'Lars',
];
const LAST = [
  'Adler',
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Horvat',
  'Ivanova',
  'Jensen',
];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'lists.example.com', 'corp.example'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Generated messages are dated between these instants (UTC). */
const DATE_FROM = Date.UTC(2000, 0, 1);
const DATE_TO = Date.UTC(2026, 0, 1);

/** RFC 5322 date, e.g. "Tue, 03 Sep 2019 14:05:09 +0000". */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/**
 * The words that occur in many corpus messages (lower-case, 4–12 letters), most frequent first,
 * without the very commonest ones: what the generator appends to make messages distinct.
 */
export function corpusVocabulary(messages: Buffer[], size = 5000): string[] {
  const documentFrequency = new Map<string, number>();
  for (const raw of messages) {
    const seen = new Set(raw.toString('latin1').match(/\b[a-z]{4,12}\b/g) ?? []);
    for (const word of seen) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
  }
  return [...documentFrequency.entries()]
    .filter(([, n]) => n >= 3)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(100, 100 + size)
    .map(([word]) => word);
}

/** Header block and body of a raw message, split at the first empty line, as latin1 text. */
function splitMessage(raw: Buffer): { fields: string[]; eol: string; body: string } {
  const text = raw.toString('latin1');
  const match = /\r?\n\r?\n/.exec(text);
  const head = match ? text.slice(0, match.index) : text;
  const body = match ? text.slice(match.index + match[0].length) : '';
  const eol = match && match[0].startsWith('\r') ? '\r\n' : '\n';
  // Unfold into one entry per header field (continuation lines start with white space).
  const fields: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += eol + line;
    else fields.push(line);
  }
  return { fields, eol, body };
}

const fieldName = (field: string) => field.slice(0, field.indexOf(':')).trim().toLowerCase();

/**
 * Makes message number `index` of a generated set from a corpus message: a new Message-ID, a Date
 * spread over 2000–2025, a new sender for half of them, a varied Subject for a third, and a few
 * corpus words appended to the body, so that every generated message is distinct. The bytes of
 * the original (charsets, MIME structure) are otherwise kept.
 */
export function varyMessage(source: Buffer, index: number, vocabulary: string[]): Buffer {
  const random = seededRandom(index * 2654435761 + 17);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const { fields, eol, body } = splitMessage(source);
  const replace = new Set(['message-id', 'date']);
  const newFields = [
    `Message-ID: <bench-${index}.${Math.floor(random() * 1e9).toString(36)}@generated.postvault.example>`,
    `Date: ${rfc5322Date(DATE_FROM + Math.floor(random() * (DATE_TO - DATE_FROM)))}`,
  ];
  if (random() < 0.5) {
    replace.add('from');
    const first = pick(FIRST);
    const last = pick(LAST);
    newFields.push(`From: ${first} ${last} <${first.toLowerCase()}.${last.toLowerCase()}@${pick(DOMAINS)}>`);
  }
  const variant = random();
  const kept = fields.map((field) => {
    if (variant < 0.34 && fieldName(field) === 'subject') {
      return variant < 0.17
        ? field.replace(/^subject:\s*/i, 'Subject: Re: ')
        : `${field} [${pick(vocabulary)}]`;
    }
    return field;
  });
  const extra = Array.from({ length: 3 + Math.floor(random() * 5) }, () => pick(vocabulary)).join(' ');
  const text =
    [...newFields, ...kept.filter((f) => !replace.has(fieldName(f)))].join(eol) +
    eol +
    eol +
    body +
    (body.endsWith('\n') || body === '' ? '' : eol) +
    extra +
    eol;
  return Buffer.from(text, 'latin1');
}

/** A synthetic message of about `totalBytes` bytes: a short text part and one base64 attachment of random bytes. */
export function syntheticLargeMessage(totalBytes: number): Buffer {
  const boundary = 'bench-boundary-7f3a9c';
  const head = [
    'Message-ID: <large-synthetic@generated.postvault.example>',
    `Date: ${rfc5322Date(Date.UTC(2026, 10, 24, 9, 0, 0))}`,
    'From: Bench Sender <sender@example.com>',
    'To: Bench Recipient <recipient@example.com>',
    'Subject: Synthetic large message with one attachment',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The attachment holds random (incompressible) bytes, like a photo or a zip file.',
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="payload.bin"',
    'Content-Disposition: attachment; filename="payload.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  const tail = `\r\n--${boundary}--\r\n`;
  // base64 lines of 76 characters + CRLF carry 57 bytes each.
  const lines = Math.max(1, Math.floor((totalBytes - head.length - tail.length) / 78));
  const payload = randomBytes(lines * 57).toString('base64');
  const wrapped: string[] = [];
  for (let i = 0; i < payload.length; i += 76) wrapped.push(payload.slice(i, i + 76));
  return Buffer.from(head + wrapped.join('\r\n') + tail, 'latin1');
}
