import { describe, expect, it } from 'vitest';
import { DotStuffer, TopCutter } from './pop3-body.js';

/** What a client does: removes the terminator and one leading dot of every line. */
function unstuff(wire: string): string {
  expect(wire.endsWith('\r\n.\r\n')).toBe(true);
  const body = wire.slice(0, -3);
  return body.replace(/(^|\n)\.\./g, '$1.');
}

function stuffInPieces(message: string, pieceSize: number): string {
  const stuffer = new DotStuffer();
  const bytes = Buffer.from(message, 'latin1');
  let out = '';
  for (let i = 0; i < bytes.length; i += pieceSize)
    out += stuffer.stuff(bytes.subarray(i, i + pieceSize)).toString('latin1');
  return out + stuffer.end().toString('latin1');
}

describe('POP3 dot-stuffing', () => {
  const message = '.starts with a dot\r\nSubject: x\r\n\r\n..two\r\n.\r\nmiddle\r\n. \r\nend\r\n';

  it('doubles a leading dot on every line and ends with CRLF.CRLF, however the bytes are split', () => {
    for (const size of [1, 2, 3, 5, 1000]) {
      const wire = stuffInPieces(message, size);
      expect(wire).toBe(
        '..starts with a dot\r\nSubject: x\r\n\r\n...two\r\n..\r\nmiddle\r\n.. \r\nend\r\n.\r\n',
      );
      expect(unstuff(wire)).toBe(message);
    }
  });

  it('adds a CRLF before the terminator only when the content does not end with one', () => {
    expect(stuffInPieces('no newline', 3)).toBe('no newline\r\n.\r\n');
    expect(stuffInPieces('ends with LF only\n', 4)).toBe('ends with LF only\n\r\n.\r\n');
    expect(stuffInPieces('x\r', 1)).toBe('x\r\r\n.\r\n');
    expect(stuffInPieces('x\r\n', 1)).toBe('x\r\n.\r\n');
    expect(stuffInPieces('', 1)).toBe('\r\n.\r\n');
  });

  it('treats a bare LF as a line start too, so ".\\r\\n" after it cannot end the body early', () => {
    expect(stuffInPieces('a\n.\r\nb\r\n', 2)).toBe('a\n..\r\nb\r\n.\r\n');
  });
});

describe('POP3 TOP', () => {
  const message = 'From: a\r\nSubject: b\r\n\r\nline 1\r\nline 2\r\n.line 3\r\n';

  function top(lines: number, pieceSize: number): string {
    const cutter = new TopCutter(lines);
    const bytes = Buffer.from(message);
    let out = '';
    for (let i = 0; i < bytes.length && !cutter.finished; i += pieceSize)
      out += Buffer.from(cutter.take(bytes.subarray(i, i + pieceSize))).toString();
    return out;
  }

  it('gives the header, the empty line and n body lines', () => {
    for (const size of [1, 4, 100]) {
      expect(top(0, size)).toBe('From: a\r\nSubject: b\r\n\r\n');
      expect(top(2, size)).toBe('From: a\r\nSubject: b\r\n\r\nline 1\r\nline 2\r\n');
      expect(top(10, size)).toBe(message);
    }
  });

  it('gives a message without a body separator whole', () => {
    const cutter = new TopCutter(0);
    expect(Buffer.from(cutter.take(Buffer.from('From: a\r\nSubject: b\r\n'))).toString()).toBe(
      'From: a\r\nSubject: b\r\n',
    );
  });
});
