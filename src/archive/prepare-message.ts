import { createHash } from 'node:crypto';
import { blobKeyOf, partKeyOf } from '../core/keys.js';
import { parseMessage } from '../mime/parse-message.js';
import type { MailAddress } from '../mime/mime.types.js';
import { encodeObject } from '../store/object-codec.js';
import { findLargePartBodies, splitMessage } from '../store/skeleton.js';
import type { FtsDocument, PreparedMessage, PreparedObject, PrepareRequest } from './archive.types.js';

const formatAddresses = (list: MailAddress[]) =>
  list.map((a) => (a.name ? `${a.name} ${a.address}` : a.address)).join(' ');

/** Object AAD binds an object to its tenant and key, so a swapped or moved file fails to decrypt. */
export const objectAad = (tenantId: number, key: string) => `${tenantId}/${key}`;

/**
 * The CPU-heavy half of ingest, run in worker threads: hash, parse, split large parts, compress and
 * encrypt. Pure: no I/O, no database, so it can run anywhere and be retried freely.
 */
export async function prepareMessage(request: PrepareRequest): Promise<PreparedMessage> {
  const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
  const dedupKey = Buffer.from(request.dedupKey);
  const dataKey = Buffer.from(request.dataKey);
  const blobKey = blobKeyOf(dedupKey, raw);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const parsed = await parseMessage(raw);

  const encode = (plain: Uint8Array, key: string, kind: 'message' | 'skeleton' | 'part') =>
    encodeObject(plain, {
      kind,
      keyId: request.dataKeyId,
      key: dataKey,
      aad: objectAad(request.tenantId, key),
    });

  const objects: PreparedObject[] = [];
  const partKeys: string[] = [];
  const ranges = findLargePartBodies(raw, request.partThreshold);
  if (ranges.length > 0) {
    const { skeleton, parts } = splitMessage(raw, ranges, (bytes) => partKeyOf(dedupKey, bytes));
    objects.push({
      key: blobKey,
      kind: 'message',
      rawSize: raw.length,
      data: encode(skeleton, blobKey, 'skeleton'),
    });
    const seen = new Set<string>();
    for (const part of parts) {
      partKeys.push(part.key);
      if (seen.has(part.key)) continue;
      seen.add(part.key);
      objects.push({
        key: part.key,
        kind: 'part',
        rawSize: part.bytes.length,
        data: encode(part.bytes, part.key, 'part'),
      });
    }
  } else {
    objects.push({
      key: blobKey,
      kind: 'message',
      rawSize: raw.length,
      data: encode(raw, blobKey, 'message'),
    });
  }

  const fts: FtsDocument = {
    sender: formatAddresses(parsed.from),
    recipient_to: formatAddresses(parsed.to),
    recipient_cc: formatAddresses(parsed.cc),
    recipient_bcc: formatAddresses(parsed.bcc),
    subject: parsed.subject,
    body: parsed.bodyText,
    attachment: parsed.attachments.map((a) => `${a.filename} ${a.text}`).join('\n'),
  };
  return {
    blobKey,
    sha256,
    size: raw.length,
    parsed: {
      messageId: parsed.messageId,
      date: parsed.date,
      from: parsed.from,
      to: parsed.to,
      cc: parsed.cc,
      bcc: parsed.bcc,
      replyTo: parsed.replyTo,
      subject: parsed.subject,
      problems: parsed.problems,
      attachments: parsed.attachments.map(({ filename, contentType, size }) => ({
        filename,
        contentType,
        size,
      })),
    },
    fts,
    objects,
    partKeys,
  };
}
