import { ValidationError } from '../core/errors.js';
import { hasTokenChars } from './text-folding.js';

/**
 * The archive's query language (see docs/search.md) parsed into an AST.
 *
 * Spans are 0-based, end-exclusive offsets into the query string; error messages report 1-based
 * columns ("position 7") because that is what a person counts. Every malformed query throws
 * `ValidationError` and nothing else, so the HTTP layer can show the message as is.
 */

export type TextField = 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'body' | 'attachment';

export interface Span {
  start: number;
  end: number;
}

/**
 * What a text term matches. `value` is the user's text without quotes and wildcard stars.
 * `word` and `phrase` differ only in how they were written; both match the value's tokens in order.
 */
export type TextMatchKind = 'word' | 'phrase' | 'prefix' | 'suffix' | 'substring';

export interface TextTermNode {
  kind: 'text';
  field: TextField | null;
  match: TextMatchKind;
  value: string;
  span: Span;
}

export interface HasAttachmentNode {
  kind: 'hasAttachment';
  span: Span;
}

/** A UTC period [from, to) in epoch milliseconds, with how it was written. */
export interface DateNode {
  kind: 'date';
  op: 'before' | 'after' | 'on';
  from: number;
  to: number;
  text: string;
  span: Span;
}

export interface SizeNode {
  kind: 'size';
  op: '>' | '<';
  bytes: number;
  span: Span;
}

export interface FolderNode {
  kind: 'folder';
  /** Slash-separated, without leading or trailing slashes. */
  path: string;
  span: Span;
}

/** A Message-ID, without angle brackets; matches the header exactly (case-sensitive, as RFC 5322 says). */
export interface MessageIdNode {
  kind: 'messageId';
  value: string;
  span: Span;
}

export interface MailboxNode {
  kind: 'mailbox';
  name: string;
  span: Span;
}

export interface AndNode {
  kind: 'and';
  children: QueryNode[];
  span: Span;
}

export interface OrNode {
  kind: 'or';
  children: QueryNode[];
  span: Span;
}

export interface NotNode {
  kind: 'not';
  child: QueryNode;
  span: Span;
}

export type QueryNode =
  | TextTermNode
  | HasAttachmentNode
  | DateNode
  | SizeNode
  | FolderNode
  | MailboxNode
  | MessageIdNode
  | AndNode
  | OrNode
  | NotNode;

const TEXT_FIELDS: readonly TextField[] = ['from', 'to', 'cc', 'bcc', 'subject', 'body', 'attachment'];
const OTHER_FIELDS = ['has', 'before', 'after', 'on', 'folder', 'mailbox', 'messageid'] as const;
const ALL_FIELDS: readonly string[] = [...TEXT_FIELDS, ...OTHER_FIELDS];

/** Shortest core a leading wildcard may have: `*a` would expand to most of the vocabulary. */
export const MIN_WILDCARD_CORE = 2;

type Token =
  | { type: 'lparen' | 'rparen' | 'minus' | 'and' | 'or' | 'not'; pos: number; end: number }
  | { type: 'term'; pos: number; end: number; raw: string; quoted: boolean }
  | {
      type: 'field';
      pos: number;
      end: number;
      name: string;
      value: string;
      quoted: boolean;
      valuePos: number;
    }
  | { type: 'size'; pos: number; end: number; op: '>' | '<'; amount: string };

function fail(message: string): never {
  throw new ValidationError(message);
}

function col(offset: number): number {
  return offset + 1;
}

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

function readQuoted(query: string, openAt: number): { value: string; end: number } {
  const close = query.indexOf('"', openAt + 1);
  if (close < 0) fail(`Unclosed quote starting at position ${col(openAt)}`);
  return { value: query.slice(openAt + 1, close), end: close + 1 };
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  // A '-' only negates at the start of a term; inside "e-mail" it is part of the word.
  let atTermStart = true;
  while (i < query.length) {
    const ch = query[i]!;
    if (isSpace(ch)) {
      i++;
      atTermStart = true;
      continue;
    }
    if (ch === '(') {
      tokens.push({ type: 'lparen', pos: i, end: ++i });
      atTermStart = true;
      continue;
    }
    if (ch === ')') {
      tokens.push({ type: 'rparen', pos: i, end: ++i });
      atTermStart = true;
      continue;
    }
    if (ch === '"') {
      const { value, end } = readQuoted(query, i);
      tokens.push({ type: 'term', pos: i, end, raw: value, quoted: true });
      i = end;
      atTermStart = false;
      continue;
    }
    const next = query[i + 1];
    if (ch === '-' && atTermStart && next !== undefined && !isSpace(next) && next !== ')') {
      tokens.push({ type: 'minus', pos: i, end: ++i });
      continue;
    }
    let end = i;
    while (end < query.length && !isSpace(query[end]!) && !'()"'.includes(query[end]!)) end++;
    const raw = query.slice(i, end);
    const token = classifyBareRun(query, raw, i, end);
    tokens.push(token);
    // A field's quoted value extends past the bare run.
    i = token.end;
    atTermStart = false;
  }
  return tokens;
}

function classifyBareRun(query: string, raw: string, pos: number, end: number): Token {
  if (raw === 'AND' || raw === 'OR' || raw === 'NOT') {
    return { type: raw === 'AND' ? 'and' : raw === 'OR' ? 'or' : 'not', pos, end };
  }
  const size = /^size:?([<>])(.*)$/iu.exec(raw);
  if (size) return { type: 'size', pos, end, op: size[1] as '>' | '<', amount: size[2]! };
  // URLs and times ("http://x", "10:30") are words, not fields.
  const field = /^([A-Za-z][A-Za-z_-]*):(?!\/\/)/u.exec(raw);
  if (!field) return { type: 'term', pos, end, raw, quoted: false };
  const name = field[1]!.toLowerCase();
  if (name === 'size') fail(`Expected size>N or size<N at position ${col(pos)}, e.g. size>10k`);
  if (!ALL_FIELDS.includes(name)) {
    const suggestion = suggestField(name);
    fail(
      `Unknown field "${field[1]}:" at position ${col(pos)}` +
        (suggestion
          ? ` — did you mean "${suggestion}:"?`
          : ` — known fields are ${ALL_FIELDS.map((f) => `${f}:`).join(' ')}; put the text in quotes to search for it literally`),
    );
  }
  const valuePos = pos + field[0].length;
  let value = raw.slice(field[0].length);
  let quoted = false;
  let tokenEnd = end;
  if (value === '' && query[valuePos] === '"') {
    const read = readQuoted(query, valuePos);
    value = read.value;
    quoted = true;
    tokenEnd = read.end;
  } else if (value === '') {
    fail(`Expected a value after "${name}:" at position ${col(pos)}`);
  }
  return { type: 'field', pos, end: tokenEnd, name, value, quoted, valuePos };
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function suggestField(name: string): string | undefined {
  let best: { field: string; distance: number } | undefined;
  for (const field of ALL_FIELDS) {
    const distance = levenshtein(name, field);
    if (distance <= 2 && (!best || distance < best.distance)) best = { field, distance };
  }
  return best?.field;
}

/** Turns a bare or quoted value into a text match; quoted values never carry wildcards. */
function classifyText(raw: string, quoted: boolean, pos: number): { match: TextMatchKind; value: string } {
  if (quoted) return { match: 'phrase', value: raw };
  const leading = raw.startsWith('*');
  const trailing = raw.length > 1 && raw.endsWith('*');
  const core = raw.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  const inner = core.indexOf('*');
  if (inner >= 0) {
    fail(
      `Wildcard "*" at position ${col(pos + (leading ? 1 : 0) + inner)} — wildcards are allowed only at the start or end of a word`,
    );
  }
  if (!leading && !trailing) return { match: 'word', value: raw };
  if (!hasTokenChars(core)) fail(`Wildcard at position ${col(pos)} needs letters or digits to match`);
  if (leading && [...core].length < MIN_WILDCARD_CORE) {
    fail(
      `Wildcard "${raw}" at position ${col(pos)} is too short — give at least ${MIN_WILDCARD_CORE} characters besides "*"`,
    );
  }
  return { match: leading && trailing ? 'substring' : leading ? 'suffix' : 'prefix', value: core };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2 };

function parseSize(token: Extract<Token, { type: 'size' }>): SizeNode {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/iu.exec(token.amount);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    fail(
      `Expected a size after "size${token.op}" at position ${col(token.pos)}, e.g. size${token.op}500k or size${token.op}2m`,
    );
  }
  return {
    kind: 'size',
    op: token.op,
    bytes: Math.round(Number(m[1]) * unit),
    span: { start: token.pos, end: token.end },
  };
}

/** YYYY, YYYY-MM or YYYY-MM-DD as a UTC period [from, to). */
export function parseDatePeriod(text: string): { from: number; to: number } | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/u.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (m[2] === undefined) return { from: Date.UTC(year, 0, 1), to: Date.UTC(year + 1, 0, 1) };
  const month = Number(m[2]);
  if (month < 1 || month > 12) return undefined;
  if (m[3] === undefined) return { from: Date.UTC(year, month - 1, 1), to: Date.UTC(year, month, 1) };
  const day = Number(m[3]);
  const from = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2024-02-30 over into March; a date that does not round-trip does not exist.
  if (day < 1 || new Date(from).getUTCMonth() !== month - 1) return undefined;
  return { from, to: Date.UTC(year, month - 1, day + 1) };
}

function fieldNode(token: Extract<Token, { type: 'field' }>): QueryNode {
  const span = { start: token.pos, end: token.end };
  const { name, value } = token;
  if ((TEXT_FIELDS as readonly string[]).includes(name)) {
    const text = classifyText(value, token.quoted, token.valuePos);
    if (!hasTokenChars(text.value)) {
      fail(`"${name}:" at position ${col(token.pos)} needs letters or digits to search for`);
    }
    return { kind: 'text', field: name as TextField, ...text, span };
  }
  switch (name) {
    case 'has':
      if (!/^attachments?$/iu.test(value)) {
        fail(`Unknown value "has:${value}" at position ${col(token.pos)} — expected has:attachment`);
      }
      return { kind: 'hasAttachment', span };
    case 'before':
    case 'after':
    case 'on': {
      const period = parseDatePeriod(value);
      if (!period) {
        fail(
          `Expected a date as YYYY-MM-DD, YYYY-MM or YYYY after "${name}:" at position ${col(token.pos)}, got "${value}"`,
        );
      }
      return { kind: 'date', op: name, ...period, text: value, span };
    }
    case 'folder': {
      const path = value.trim().replace(/^\/+|\/+$/gu, '');
      if (path === '') fail(`Expected a folder path after "folder:" at position ${col(token.pos)}`);
      return { kind: 'folder', path, span };
    }
    case 'mailbox': {
      const mailbox = value.trim();
      if (mailbox === '') fail(`Expected a mailbox name after "mailbox:" at position ${col(token.pos)}`);
      return { kind: 'mailbox', name: mailbox, span };
    }
    case 'messageid': {
      const id = value
        .trim()
        .replace(/^<(.*)>$/su, '$1')
        .trim();
      if (id === '') fail(`Expected a Message-ID after "messageid:" at position ${col(token.pos)}`);
      return { kind: 'messageId', value: id, span };
    }
    default:
      return fail(`Unknown field "${name}:" at position ${col(token.pos)}`);
  }
}

function describe(token: Token | undefined): string {
  if (!token) return 'the end of the query';
  switch (token.type) {
    case 'lparen':
      return '"("';
    case 'rparen':
      return '")"';
    case 'minus':
      return '"-"';
    case 'and':
    case 'or':
    case 'not':
      return token.type.toUpperCase();
    default:
      return 'a search term';
  }
}

/**
 * Recursive descent, lowest precedence first: OR < AND (explicit or implicit) < NOT / '-'.
 * Terms with no letters or digits ("&", "--") are skipped the way the index skips them, so a
 * method returns null when everything it read was such noise.
 */
class Parser {
  private index = 0;

  constructor(
    private readonly query: string,
    private readonly tokens: Token[],
  ) {}

  parse(): QueryNode {
    if (this.tokens.length === 0) fail('The query is empty');
    const node = this.parseOr();
    const rest = this.peek();
    if (rest) {
      if (rest.type === 'rparen') fail(`Unexpected ")" at position ${col(rest.pos)} — no "(" to close`);
      fail(`Unexpected ${describe(rest)} at position ${col(rest.pos)}`);
    }
    if (!node) fail('The query has no letters or digits to search for');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private endOfPrevious(): number {
    return this.tokens[this.index - 1]?.end ?? 0;
  }

  private startsOperand(token: Token | undefined): boolean {
    return token !== undefined && token.type !== 'rparen' && token.type !== 'and' && token.type !== 'or';
  }

  private expectOperand(after: Token): void {
    const next = this.peek();
    if (!this.startsOperand(next)) {
      const what = after.type === 'minus' ? '"-"' : after.type.toUpperCase();
      fail(
        `Expected a search term after ${what} at position ${col(after.pos)}, found ${describe(next)}` +
          (next ? ` at position ${col(next.pos)}` : ''),
      );
    }
  }

  private parseOr(): QueryNode | null {
    const first = this.peek();
    const children: Array<QueryNode | null> = [this.parseAnd()];
    while (this.peek()?.type === 'or') {
      const op = this.tokens[this.index++]!;
      this.expectOperand(op);
      children.push(this.parseAnd());
    }
    return this.combine('or', children, first?.pos ?? 0);
  }

  private parseAnd(): QueryNode | null {
    const first = this.peek();
    if (!this.startsOperand(first)) {
      fail(
        `Expected a search term at position ${col(first?.pos ?? this.query.length)}, found ${describe(first)}`,
      );
    }
    const children: Array<QueryNode | null> = [this.parseUnary()];
    for (;;) {
      const next = this.peek();
      if (next?.type === 'and') {
        this.index++;
        this.expectOperand(next);
        children.push(this.parseUnary());
      } else if (this.startsOperand(next)) {
        children.push(this.parseUnary());
      } else {
        break;
      }
    }
    return this.combine('and', children, first!.pos);
  }

  private combine(kind: 'and' | 'or', parts: Array<QueryNode | null>, start: number): QueryNode | null {
    const children = parts.filter((c): c is QueryNode => c !== null);
    if (children.length === 0) return null;
    if (children.length === 1) return children[0]!;
    // Flattening keeps "a b c" one AND node, which is what the compiler merges into one MATCH.
    const flat = children.flatMap((c) => (c.kind === kind ? c.children : [c]));
    return { kind, children: flat, span: { start, end: this.endOfPrevious() } };
  }

  private parseUnary(): QueryNode | null {
    const token = this.tokens[this.index++]!;
    switch (token.type) {
      case 'not':
      case 'minus': {
        this.expectOperand(token);
        const child = this.parseUnary();
        return child && { kind: 'not', child, span: { start: token.pos, end: child.span.end } };
      }
      case 'lparen': {
        if (this.peek()?.type === 'rparen') fail(`Empty parentheses at position ${col(token.pos)}`);
        if (!this.peek())
          fail(`Expected ")" to close "(" at position ${col(token.pos)}, found the end of the query`);
        const inner = this.parseOr();
        const close = this.peek();
        if (close?.type !== 'rparen') {
          fail(
            `Expected ")" to close "(" at position ${col(token.pos)}, found ${describe(close)}` +
              (close ? ` at position ${col(close.pos)}` : ''),
          );
        }
        this.index++;
        return inner;
      }
      case 'term': {
        const text = classifyText(token.raw, token.quoted, token.pos);
        if (!hasTokenChars(text.value)) return null;
        return { kind: 'text', field: null, ...text, span: { start: token.pos, end: token.end } };
      }
      case 'field':
        return fieldNode(token);
      case 'size':
        return parseSize(token);
      default:
        return fail(`Unexpected ${describe(token)} at position ${col(token.pos)}`);
    }
  }
}

/** Parses a query; throws `ValidationError` naming the position of the first problem. */
export function parseQuery(query: string): QueryNode {
  return new Parser(query, tokenize(query)).parse();
}
