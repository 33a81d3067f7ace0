import { describe, expect, it } from 'vitest';
import { extractHighlightTerms, highlightSnippet, markMatches } from './highlight.js';
import { parseQuery } from './query-parser.js';

const snippet = (text: string, query: string, maxLength?: number) =>
  highlightSnippet(text, extractHighlightTerms(parseQuery(query)), maxLength);

describe('extractHighlightTerms', () => {
  it('keeps positive text terms, folded, and drops negated ones and metadata', () => {
    expect(
      extractHighlightTerms(
        parseQuery('Résumé -spam NOT (x OR y) from:bob has:attachment *port* "Grüße aus"'),
      ),
    ).toEqual([
      { field: null, tokens: ['resume'], leading: false, trailing: false },
      { field: 'from', tokens: ['bob'], leading: false, trailing: false },
      { field: null, tokens: ['port'], leading: true, trailing: true },
      { field: null, tokens: ['gruße', 'aus'], leading: false, trailing: false },
    ]);
  });

  it('keeps terms under a double negation', () => {
    expect(extractHighlightTerms(parseQuery('NOT -budget'))).toHaveLength(1);
  });
});

describe('highlightSnippet', () => {
  it.each([
    ['diacritic-insensitive', 'My résumé is attached', 'resume', 'My «résumé» is attached'],
    ['case-insensitive', 'RESUME attached', 'résumé', '«RESUME» attached'],
    ['German ü folds, ß stays', 'Viele Grüße aus Köln', 'grüße koln', 'Viele «Grüße» aus «Köln»'],
    [
      'phrases as one stretch',
      'the quarterly report is late',
      '"quarterly report"',
      'the «quarterly report» is late',
    ],
    [
      'phrase words out of order are not marked',
      'report quarterly',
      '"quarterly report"',
      'report quarterly',
    ],
    ['prefix', 'rebuilding it', 'rebuil*', '«rebuilding» it'],
    ['suffix', 'unbelievable', '*believable', '«unbelievable»'],
    ['substring', 'the reporting cycle', '*port*', 'the «reporting» cycle'],
    [
      'address as a token sequence',
      'from bob.smith@example.com today',
      'bob.smith@example.com',
      'from «bob.smith@example.com» today',
    ],
    ['whole words only', 'resumed work', 'resume', 'resumed work'],
    ['existing guillemets are replaced', '«Bonjour» résumé', 'resume', '‹Bonjour› «résumé»'],
    ['whitespace collapsed', 'line one\r\n\r\n  resume', 'resume', 'line one «resume»'],
  ])('%s', (_name, text, query, expected) => {
    expect(snippet(text, query)).toBe(expected);
  });

  it('picks the window with the most distinct terms and marks the cut with …', () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(20);
    const text = `budget at the start. ${filler} here the budget meets the forecast. ${filler}`;
    const result = snippet(text, 'budget forecast', 80);
    expect(result).toContain('«budget» meets the «forecast»');
    expect(result.startsWith('…')).toBe(true);
    expect(result.endsWith('…')).toBe(true);
    expect(result.replace(/[«»]/gu, '').length).toBeLessThanOrEqual(80);
  });

  it('starts at the beginning when nothing matches', () => {
    const result = snippet('word '.repeat(100), 'absent', 50);
    expect(result.startsWith('word')).toBe(true);
    expect(result.length).toBeLessThanOrEqual(50);
  });

  it('does not cut a highlighted stretch at the window end', () => {
    const text = `${'a '.repeat(30)}quarterly report ${'b '.repeat(30)}`;
    for (let max = 20; max < 100; max += 7) {
      const result = snippet(text, '"quarterly report"', max);
      expect(result.split('«').length).toBe(result.split('»').length);
      expect(result.replace(/[«»]/gu, '').length).toBeLessThanOrEqual(max);
    }
  });
});

describe('markMatches', () => {
  const terms = (query: string) => extractHighlightTerms(parseQuery(query));
  it('marks every match in the whole text and keeps line breaks', () => {
    expect(markMatches('Budget 2024\nthe budget is «final»', terms('budget'))).toBe(
      '«Budget» 2024\nthe «budget» is ‹final›',
    );
  });
  it('answers null when nothing matches or there are no terms', () => {
    expect(markMatches('nothing here', terms('budget'))).toBeNull();
    expect(markMatches('nothing here', [])).toBeNull();
  });
});
