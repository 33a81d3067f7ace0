/**
 * A JavaScript model of what FTS5's `unicode61 remove_diacritics 2` tokenizer does, for the places
 * that must agree with the index without asking it: wildcard patterns matched against
 * `message_fts_vocab`, and snippet highlighting.
 *
 * Token characters are letters, digits and private-use characters (unicode61's default categories
 * "L* N* Co"); combining marks stay with the letter they modify. Everything else — spaces,
 * punctuation, symbols such as "€" or "+" — separates tokens. Folding lower-cases and strips
 * diacritics that Unicode decomposes ("é" → "e", "ü" → "u"); letters without a decomposition stay
 * as they are ("ß", "ø", "æ", "ł"), which matches what the index stores.
 */

const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}\p{M}]/u;
const TOKEN_RUN = /[\p{L}\p{N}\p{Co}][\p{L}\p{N}\p{Co}\p{M}]*/gu;

export function isTokenChar(ch: string): boolean {
  return TOKEN_CHAR.test(ch);
}

/** Whether the index would find any token in `text` — `""` or `"&"` would match nothing. */
export function hasTokenChars(text: string): boolean {
  return /[\p{L}\p{N}\p{Co}]/u.test(text);
}

export function foldText(text: string): string {
  return text.normalize('NFD').toLowerCase().replace(/\p{M}/gu, '').normalize('NFC');
}

export interface TextToken {
  /** Offsets into the original text, end exclusive. */
  start: number;
  end: number;
  folded: string;
}

export function tokenizeText(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  for (const m of text.matchAll(TOKEN_RUN)) {
    const folded = foldText(m[0]);
    if (folded !== '') tokens.push({ start: m.index, end: m.index + m[0].length, folded });
  }
  return tokens;
}
