// The "Advanced search" form writes the query language of docs/search.md, the same text a person
// could type into the search box, e.g.
//   from:alice subject:"quarterly report" after:2024-01-01 before:2024-02-01 has:attachment
//   folder:"Inbox/Projects" budget

export interface AdvancedSearch {
  from: string;
  to: string;
  subject: string;
  /** Typed as is: words, "phrases", wildcards, even operators. */
  words: string;
  /** YYYY-MM-DD: messages dated after that day (the day itself not included). */
  after: string;
  /** YYYY-MM-DD: messages dated before that day (the day itself not included). */
  before: string;
  hasAttachment: boolean;
  /** A folder path, "Inbox/Projects". */
  folder: string;
}

export const EMPTY_ADVANCED: AdvancedSearch = {
  from: '',
  to: '',
  subject: '',
  words: '',
  after: '',
  before: '',
  hasAttachment: false,
  folder: '',
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A field's value as the query language reads it: bare when it is one run of plain characters,
 * otherwise in quotes. The language has no escape inside quotes, so a `"` cannot be searched for and
 * is dropped (it only separates words anyway).
 */
export function quoteValue(value: string): string {
  const clean = value.replace(/"/g, ' ').replace(/\s+/g, ' ').trim();
  if (!clean) return '';
  return /[\s()]/.test(clean) ? `"${clean}"` : clean;
}

/** A folder path for `folder:`: slashes between the levels, none at the ends. */
function folderValue(path: string): string {
  const clean = path
    .split('/')
    .map((part) => part.trim())
    .filter(Boolean)
    .join('/');
  // Always in quotes: folder names often have spaces (and a wildcard means nothing to folder:).
  const quoted = quoteValue(clean);
  return quoted && !quoted.startsWith('"') ? `"${quoted}"` : quoted;
}

export function buildQuery(form: AdvancedSearch): string {
  const terms: string[] = [];
  const field = (name: string, value: string) => {
    const quoted = quoteValue(value);
    if (quoted) terms.push(`${name}:${quoted}`);
  };
  field('from', form.from);
  field('to', form.to);
  field('subject', form.subject);
  if (DAY.test(form.after)) terms.push(`after:${form.after}`);
  if (DAY.test(form.before)) terms.push(`before:${form.before}`);
  if (form.hasAttachment) terms.push('has:attachment');
  const folder = folderValue(form.folder);
  if (folder) terms.push(`folder:${folder}`);
  const words = form.words.trim();
  if (words) terms.push(words);
  return terms.join(' ');
}

/**
 * The form's fields from a query, when the form can hold it: its own fields at most once each, the
 * rest as words, and no OR or brackets (their meaning depends on the order of the terms, which the
 * form does not keep). Otherwise null: the form starts empty and replaces the query.
 */
export function parseAdvanced(query: string): AdvancedSearch | null {
  const form: AdvancedSearch = { ...EMPTY_ADVANCED };
  const words: string[] = [];
  const seen = new Set<string>();
  const pattern = /\s*(?:([A-Za-z]+):(?:"([^"]*)"|([^\s()"]+))|"([^"]*)"|([^\s()"]+))/y;
  const rest = query.trim();
  if (!rest) return form;
  let index = 0;
  pattern.lastIndex = 0;
  while (index < rest.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(rest);
    if (!match) return null;
    index = pattern.lastIndex;
    const [, name, quoted, bare, phrase, word] = match;
    if (name !== undefined) {
      const key = name.toLowerCase();
      const value = quoted ?? bare ?? '';
      const own = ['from', 'to', 'subject', 'folder', 'after', 'before', 'has'].includes(key);
      if (own && seen.has(key)) return null;
      seen.add(key);
      switch (key) {
        case 'from':
        case 'to':
        case 'subject':
        case 'folder':
          form[key] = value;
          break;
        case 'after':
        case 'before':
          if (!DAY.test(value)) return null;
          form[key] = value;
          break;
        case 'has':
          if (value.toLowerCase() !== 'attachment') return null;
          form.hasAttachment = true;
          break;
        default:
          // Another field (cc:, size>, …): the words box takes the query language as it is.
          words.push(match[0].trim());
      }
    } else if (phrase !== undefined) {
      words.push(`"${phrase}"`);
    } else if (word !== undefined) {
      // OR binds looser than the terms around it and NOT takes the term after it: moving the fields
      // would change what they mean. AND is what terms side by side mean anyway.
      if (word === 'OR' || word === 'NOT') return null;
      if (word !== 'AND') words.push(word);
    }
  }
  form.words = words.join(' ');
  return form;
}
