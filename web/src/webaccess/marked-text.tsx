import { Fragment, type ReactNode } from 'react';

export interface MarkedPart {
  text: string;
  marked: boolean;
}

/**
 * Splits the server's highlighted text ("the «budget» for «March»") into plain and matched
 * stretches. A « or » in the message itself arrives as ‹ or ›, so the markers are unambiguous; a
 * stray marker is dropped and the rest is shown as it is.
 */
export function splitMarked(value: string): MarkedPart[] {
  const parts: MarkedPart[] = [];
  let marked = false;
  for (const piece of value.split(/([«»])/)) {
    if (piece === '«') marked = true;
    else if (piece === '»') marked = false;
    else if (piece) parts.push({ text: piece, marked });
  }
  return parts;
}

/** Removes the markers: the text as the message has it. */
export const unmarked = (value: string) => value.replace(/[«»]/g, '');

/**
 * Text with its matches as <mark>. Everything is rendered as React text, never as HTML: a message's
 * subject or body can hold any markup, and here it stays text.
 */
export function MarkedText({ value }: { value: string }): ReactNode {
  return (
    <>
      {splitMarked(value).map((part, index) =>
        part.marked ? (
          <mark key={index} className="pv-wa-mark">
            {part.text}
          </mark>
        ) : (
          <Fragment key={index}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
