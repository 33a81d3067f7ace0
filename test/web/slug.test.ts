import { describe, expect, it } from 'vitest';
import { MAX_SLUG_LENGTH, suggestSlug } from '../../web/src/system/slug.js';

// The server accepts /^[a-z0-9][a-z0-9-]{0,62}$/; the create-tenant dialog suggests a slug from the name.
const SERVER_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

describe('suggestSlug', () => {
  it('transliterates German letters and drops punctuation', () => {
    expect(suggestSlug('Müller & Söhne GmbH')).toBe('mueller-soehne-gmbh');
    expect(suggestSlug('Straße 42 AG')).toBe('strasse-42-ag');
    expect(suggestSlug('  Café Crème  ')).toBe('cafe-creme');
  });

  it('always suggests what the server accepts', () => {
    for (const name of ['Acme Ltd', '---x---', 'Ünïcødé Σ name', 'a'.repeat(100), '  -a-  ']) {
      const slug = suggestSlug(name);
      expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
      expect(slug).toMatch(SERVER_SLUG);
      expect(slug.endsWith('-')).toBe(false);
    }
  });

  it('suggests nothing for a name without letters or digits', () => {
    expect(suggestSlug('&&& ---')).toBe('');
  });
});
