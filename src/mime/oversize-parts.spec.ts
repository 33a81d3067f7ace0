import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse-message.js';

// Synthetic messages, built here.
function messageWith(part: { headers: string[]; body: string }): Buffer {
  return Buffer.from(
    [
      'From: a@example.test',
      'To: b@example.test',
      'Subject: big part',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="xyz"',
      '',
      '--xyz',
      'Content-Type: text/plain',
      '',
      'small visible text',
      '--xyz',
      ...part.headers,
      '',
      part.body,
      '--xyz--',
      '',
    ].join('\r\n'),
  );
}

const limits = { maxInputBytes: 1024 * 1024 };

describe('parts above the text-extraction limit', () => {
  it('are not decoded: exact decoded size, no text, a recorded problem, the rest parsed as usual', async () => {
    const payload = Buffer.alloc(2 * 1024 * 1024 + 1, 0xab);
    const raw = messageWith({
      headers: [
        'Content-Type: application/pdf; name="huge.pdf"',
        'Content-Disposition: attachment; filename="huge.pdf"',
        'Content-Transfer-Encoding: base64',
      ],
      body: payload.toString('base64').replace(/.{76}/g, '$&\r\n'),
    });
    const parsed = await parseMessage(raw, limits);
    expect(parsed.subject).toBe('big part');
    expect(parsed.bodyText).toContain('small visible text');
    expect(parsed.attachments).toEqual([
      { filename: 'huge.pdf', contentType: 'application/pdf', size: payload.length, text: '' },
    ]);
    expect(parsed.problems.join('\n')).toMatch(/huge\.pdf: 2\.0 MB is above the text-extraction size limit/);
  });

  it('leaves no marker in the body when the oversize part is text', async () => {
    const raw = messageWith({
      headers: ['Content-Type: text/plain; charset=us-ascii'],
      body: 'word '.repeat(300_000),
    });
    const parsed = await parseMessage(raw, limits);
    expect(parsed.bodyText).toContain('small visible text');
    expect(parsed.bodyText).not.toMatch(/postvault-omitted-part|cG9zdHZhdWx0/);
    expect(parsed.problems.join('\n')).toMatch(/text part above the text-extraction size limit/);
  });

  it('parses parts below the limit as before', async () => {
    const raw = messageWith({ headers: ['Content-Type: text/plain'], body: 'findable words here' });
    const parsed = await parseMessage(raw, limits);
    expect(parsed.bodyText).toContain('findable words here');
    expect(parsed.problems).toEqual([]);
  });
});
