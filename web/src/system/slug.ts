const TRANSLITERATIONS: Record<string, string> = {
  ä: 'ae',
  ö: 'oe',
  ü: 'ue',
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  å: 'a',
};

// The server accepts /^[a-z0-9][a-z0-9-]{0,62}$/.
export const MAX_SLUG_LENGTH = 63;

/** A slug suggested from a tenant's name: "Müller & Söhne GmbH" → "mueller-soehne-gmbh". */
export function suggestSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[äöüßæøå]/g, (char) => TRANSLITERATIONS[char] ?? char)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, '');
}
