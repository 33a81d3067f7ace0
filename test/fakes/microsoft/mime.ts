/**
 * Just enough RFC 822 reading for the fakes: the header fields Graph derives from a message
 * (subject, from, Message-ID, recipients) and a strict base64 check for MIME sendMail.
 */

export interface MailAddress {
  name: string;
  address: string;
}

/** The unfolded header fields of a message, names lower-cased, in order of appearance. */
export function headerFields(raw: Buffer): Array<{ name: string; value: string }> {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end === -1 ? text : text.slice(0, end);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

export function headerValue(raw: Buffer, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return headerFields(raw).find((field) => field.name === wanted)?.value;
}

/** The text after the header block (no MIME decoding: the fakes only need a preview). */
export function bodyText(raw: Buffer): string {
  const text = raw.toString('utf8');
  const match = /\r?\n\r?\n/.exec(text);
  return match ? text.slice(match.index + match[0].length) : '';
}

/** `"Bob" <bob@contoso.com>, carol@contoso.com` → addresses (no group syntax, no encoded words). */
export function parseAddressList(value: string | undefined): MailAddress[] {
  if (!value) return [];
  const addresses: MailAddress[] = [];
  for (const part of value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const angle = /^(.*)<([^>]+)>\s*$/.exec(part.trim());
    if (angle) {
      addresses.push({ name: angle[1]!.trim().replace(/^"|"$/g, ''), address: angle[2]!.trim() });
    } else if (part.trim().includes('@')) {
      addresses.push({ name: '', address: part.trim() });
    }
  }
  return addresses;
}

/** Recipients named in To, Cc and Bcc of a MIME message (lower-cased addresses). */
export function mimeRecipients(raw: Buffer): string[] {
  const fields = headerFields(raw).filter((field) => ['to', 'cc', 'bcc'].includes(field.name));
  return fields.flatMap((field) => parseAddressList(field.value).map((a) => a.address.toLowerCase()));
}

/** A crude guess that is right for the messages tests build: any part marked as an attachment. */
export function looksLikeItHasAttachments(raw: Buffer): boolean {
  return /^content-disposition:\s*attachment/im.test(raw.toString('latin1'));
}

/**
 * Exchange decodes the MIME sendMail body like .NET's Convert.FromBase64String: whitespace is
 * ignored, anything else must be the base64 alphabet with correct padding. Returns undefined when the
 * text is not valid base64 (Graph then answers ErrorMimeContentInvalidBase64String).
 */
export function decodeStrictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]/g, '');
  if (compact.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}
