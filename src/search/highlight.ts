import type { QueryNode, TextField } from './query-parser.js';
import { isTokenChar, tokenizeText } from './text-folding.js';

/**
 * Snippets for result lists. Matching mirrors the index: tokens are compared folded (case and
 * diacritics removed), so "resume" highlights "Résumé" — the same rows the query found.
 *
 * Markers: a highlighted stretch is wrapped in « and » (U+00AB, U+00BB). Any « or » already in the
 * text is replaced by ‹ or › so the markers stay unambiguous; the UI escapes the snippet as HTML and
 * then turns «…» into <mark>…</mark>.
 */

export const HIGHLIGHT_OPEN = '«';
export const HIGHLIGHT_CLOSE = '»';

/**
 * One positive text term, folded. `leading`: the first token may have more characters before it
 * (a `*suffix`); `trailing`: the last token may continue (a `prefix*`). `field` lets a caller keep
 * only the terms that apply to the text it is showing (e.g. skip `from:` terms for a body snippet).
 */
export interface HighlightTerm {
  field: TextField | null;
  tokens: string[];
  leading: boolean;
  trailing: boolean;
}

/** The text terms a result matched because of, i.e. those not under an odd number of negations. */
export function extractHighlightTerms(ast: QueryNode): HighlightTerm[] {
  const terms = new Map<string, HighlightTerm>();
  const visit = (node: QueryNode, negated: boolean): void => {
    switch (node.kind) {
      case 'and':
      case 'or':
        for (const child of node.children) visit(child, negated);
        return;
      case 'not':
        visit(node.child, !negated);
        return;
      case 'text': {
        if (negated) return;
        const tokens = tokenizeText(node.value).map((t) => t.folded);
        if (tokens.length === 0) return;
        const first = [...node.value][0] ?? '';
        const last = [...node.value].at(-1) ?? '';
        const term: HighlightTerm = {
          field: node.field,
          tokens,
          leading: (node.match === 'suffix' || node.match === 'substring') && isTokenChar(first),
          trailing: (node.match === 'prefix' || node.match === 'substring') && isTokenChar(last),
        };
        terms.set(JSON.stringify(term), term);
        return;
      }
      default:
        return;
    }
  };
  visit(ast, false);
  return [...terms.values()];
}

interface Match {
  start: number;
  end: number;
  term: number;
}

function tokenMatches(term: HighlightTerm, index: number, folded: string): boolean {
  const want = term.tokens[index]!;
  const isFirst = index === 0;
  const isLast = index === term.tokens.length - 1;
  const before = isFirst && term.leading;
  const after = isLast && term.trailing;
  if (before && after) return folded.includes(want);
  if (before) return folded.endsWith(want);
  if (after) return folded.startsWith(want);
  return folded === want;
}

function findMatches(text: string, terms: HighlightTerm[]): Match[] {
  const tokens = tokenizeText(text);
  const matches: Match[] = [];
  terms.forEach((term, t) => {
    const n = term.tokens.length;
    for (let i = 0; i + n <= tokens.length; i++) {
      let ok = true;
      for (let k = 0; k < n && ok; k++) ok = tokenMatches(term, k, tokens[i + k]!.folded);
      if (ok) matches.push({ start: tokens[i]!.start, end: tokens[i + n - 1]!.end, term: t });
    }
  });
  return matches.sort((a, b) => a.start - b.start || b.end - a.end);
}

function score(matches: Match[], start: number, end: number): [number, number] {
  const inside = matches.filter((m) => m.start >= start && m.end <= end);
  return [new Set(inside.map((m) => m.term)).size, inside.length];
}

/** How far a window edge may move to avoid cutting a word in half. */
const SNAP_DISTANCE = 20;

/**
 * The best window of at most `maxLength` visible characters (markers not counted, "…" counted),
 * preferring the window with the most distinct terms, then the most matches, then the earliest.
 * Runs of whitespace (line breaks in a body) are collapsed to one space first.
 */
export function highlightSnippet(text: string, terms: HighlightTerm[], maxLength = 200): string {
  const clean = text.replace(/\s+/gu, ' ').trim().replaceAll('«', '‹').replaceAll('»', '›');
  const matches = findMatches(clean, terms);
  let start = 0;
  let end = clean.length;
  if (clean.length > maxLength) {
    const context = Math.floor(maxLength / 4);
    const candidates = [0, ...matches.map((m) => Math.max(0, m.start - context))];
    let best = { start: 0, score: [-1, -1] as [number, number] };
    for (const candidate of candidates) {
      const s = score(matches, candidate, candidate + maxLength - 2);
      if (s[0] > best.score[0] || (s[0] === best.score[0] && s[1] > best.score[1])) {
        best = { start: candidate, score: s };
      }
    }
    start = best.start;
    end = Math.min(clean.length, start + maxLength - (start > 0 ? 1 : 0));
    if (end < clean.length) end -= 1;
    const firstInside = matches.find((m) => m.start >= start)?.start ?? end;
    if (start > 0 && isTokenChar(clean[start - 1] ?? '') && isTokenChar(clean[start] ?? '')) {
      const space = clean.indexOf(' ', start);
      if (space >= 0 && space + 1 <= firstInside && space - start <= SNAP_DISTANCE) start = space + 1;
    }
    if (end < clean.length) {
      // Never cut a highlighted stretch: end the window before it instead.
      const cut = matches.find((m) => m.start < end && m.end > end);
      if (cut && cut.start > start) end = cut.start;
      if (isTokenChar(clean[end - 1] ?? '') && isTokenChar(clean[end] ?? '')) {
        const space = clean.lastIndexOf(' ', end);
        if (space > start && end - space <= SNAP_DISTANCE) end = space;
      }
    }
  }
  let out = start > 0 ? '…' : '';
  let at = start;
  for (const m of mergeOverlapping(matches.filter((m) => m.start >= start && m.end <= end))) {
    out += clean.slice(at, m.start) + HIGHLIGHT_OPEN + clean.slice(m.start, m.end) + HIGHLIGHT_CLOSE;
    at = m.end;
  }
  out += clean.slice(at, end).trimEnd();
  if (end < clean.length) out += '…';
  return out;
}

/**
 * The whole text with every match wrapped in « and » (a subject in a result list, a body in the
 * reading pane), or null when nothing matches. Line breaks are kept; « and » already in the text
 * become ‹ and › as in snippets.
 */
export function markMatches(text: string, terms: HighlightTerm[]): string | null {
  if (terms.length === 0) return null;
  const clean = text.replaceAll('«', '‹').replaceAll('»', '›');
  const matches = mergeOverlapping(findMatches(clean, terms));
  if (matches.length === 0) return null;
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += clean.slice(at, m.start) + HIGHLIGHT_OPEN + clean.slice(m.start, m.end) + HIGHLIGHT_CLOSE;
    at = m.end;
  }
  return out + clean.slice(at);
}

function mergeOverlapping(matches: Match[]): Match[] {
  const merged: Match[] = [];
  for (const m of matches) {
    const last = merged.at(-1);
    if (last && m.start <= last.end) last.end = Math.max(last.end, m.end);
    else merged.push({ ...m });
  }
  return merged;
}
