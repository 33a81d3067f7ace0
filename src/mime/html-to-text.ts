/**
 * HTML to plain text for the full-text index. Not a renderer: the goal is that every visible word
 * ends up in the output, separated by whitespace, in one linear scan. Regex-based strippers with
 * lazy `[\s\S]*?` bodies go quadratic on unclosed <script> or comments, which spam sends on purpose
 * (mailparser/htmllargecallstack.eml), so elements are skipped with indexOf instead.
 */

const named: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  shy: '',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  deg: '°',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  sbquo: '‚',
  ldquo: '“',
  rdquo: '”',
  bdquo: '„',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  times: '×',
  divide: '÷',
  para: '¶',
  iexcl: '¡',
  iquest: '¿',
  ordf: 'ª',
  ordm: 'º',
  micro: 'µ',
  plusmn: '±',
  frac12: '½',
  frac14: '¼',
  frac34: '¾',
  sup1: '¹',
  sup2: '²',
  sup3: '³',
  szlig: 'ß',
  thinsp: ' ',
  ensp: ' ',
  emsp: ' ',
  zwnj: '',
  zwj: '',
  lrm: '',
  rlm: '',
  dagger: '†',
  Dagger: '‡',
  permil: '‰',
  larr: '←',
  rarr: '→',
};
// Latin-1 letters follow a regular naming scheme; generating them keeps the table short.
for (const [base, marks] of Object.entries({
  A: 'grave acute circ tilde uml ring',
  E: 'grave acute circ uml',
  I: 'grave acute circ uml',
  O: 'grave acute circ tilde uml',
  U: 'grave acute circ uml',
  Y: 'acute',
  N: 'tilde',
  C: 'cedil',
})) {
  for (const mark of marks.split(' ')) {
    const combining = {
      grave: '\u0300',
      acute: '\u0301',
      circ: '\u0302',
      tilde: '\u0303',
      uml: '\u0308',
      ring: '\u030a',
      cedil: '\u0327',
    }[mark]!;
    named[base + mark] = (base + combining).normalize('NFC');
    named[base.toLowerCase() + mark] = (base.toLowerCase() + combining).normalize('NFC');
  }
}
Object.assign(named, {
  yuml: 'ÿ',
  AElig: 'Æ',
  aelig: 'æ',
  Oslash: 'Ø',
  oslash: 'ø',
  ETH: 'Ð',
  eth: 'ð',
  THORN: 'Þ',
  thorn: 'þ',
  OElig: 'Œ',
  oelig: 'œ',
});

const entityPattern = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,9}));?/g;

export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(entityPattern, (match, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return named[name] ?? named[name.toLowerCase()] ?? match;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(code);
  });
}

/** Elements whose content is never visible text. */
const skipped = new Set(['script', 'style', 'head', 'title', 'noscript', 'template', 'svg', 'xml']);
/** Elements that end a line, so that words of adjacent blocks do not run together. */
const blocks = new Set([
  'br',
  'p',
  'div',
  'li',
  'ul',
  'ol',
  'tr',
  'table',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
  'section',
  'article',
  'header',
  'footer',
  'dd',
  'dt',
  'dl',
  'address',
  'center',
  'form',
]);

export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  const out: string[] = [];
  let pos = 0;
  const n = html.length;
  while (pos < n) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) {
      out.push(html.slice(pos));
      break;
    }
    if (lt > pos) out.push(html.slice(pos, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      pos = end < 0 ? n : end + 3;
      continue;
    }
    // Read the tag name; "<" not followed by a name is text ("a < b").
    let i = lt + 1;
    const closing = html.charCodeAt(i) === 0x2f;
    if (closing) i++;
    const nameStart = i;
    while (i < n) {
      const c = lower.charCodeAt(i);
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39 && i > nameStart) || c === 0x2d || c === 0x3a)
        i++;
      else break;
    }
    if (i === nameStart && html.charCodeAt(i) !== 0x21 && html.charCodeAt(i) !== 0x3f) {
      out.push('<');
      pos = lt + 1;
      continue;
    }
    const name = lower.slice(nameStart, i);
    const gt = html.indexOf('>', i);
    if (gt < 0) break; // an unterminated tag swallows the rest, as browsers do
    pos = gt + 1;
    if (!closing && skipped.has(name) && html.charCodeAt(gt - 1) !== 0x2f) {
      const end = lower.indexOf(`</${name}`, pos);
      if (end < 0) {
        // Unclosed <head> or <title> in broken mail still hold visible words; only an unclosed
        // script or style is dropped to the end, as a browser would.
        if (name === 'script' || name === 'style') pos = n;
        continue;
      }
      const endGt = html.indexOf('>', end);
      pos = endGt < 0 ? n : endGt + 1;
      continue;
    }
    if (blocks.has(name)) out.push('\n');
    else if (name === 'td' || name === 'th') out.push('\t');
    else if (name === 'img' && !closing) {
      // alt text is what a reader sees when images are off, and what they may search for
      const alt = /\balt\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(html.slice(i, gt));
      if (alt) out.push(` ${alt[1] ?? alt[2]} `);
    }
  }
  return normalizeWhitespace(decodeHtmlEntities(out.join('')));
}

function normalizeWhitespace(text: string): string {
  return text
    .replace(/[ \t\f\v\r\u00a0]+/g, (m) => (m.includes('\t') ? '\t' : ' '))
    .replace(/ *\n[\s]*/g, (m) => (m.split('\n').length > 2 ? '\n\n' : '\n'))
    .trim();
}
