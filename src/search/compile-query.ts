import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { ValidationError } from '../core/errors.js';
import type { QueryNode, TextField, TextTermNode } from './query-parser.js';
import { isTokenChar, tokenizeText } from './text-folding.js';

export { extractHighlightTerms, highlightSnippet, type HighlightTerm } from './highlight.js';

/**
 * Compiles a parsed query into one SQL condition over the aliases `c` (message_contents),
 * `m` (messages), `f` (folders) and `mb` (archive_mailboxes), joined on `c.id = m.content_id`.
 *
 * Full-text terms are gathered into as few FTS5 MATCH expressions as the tree allows — a plain
 * "a b c" query is one MATCH — because each MATCH is a separate index scan. Every piece of user text
 * reaches FTS5 as a double-quoted string literal inside a bound parameter, so operators, column
 * filters, NEAR, '^' or '*' typed by a user are only ever text to tokenize.
 */

/** A folded (lower-case, diacritics removed) pattern without '*', to match against indexed terms. */
export interface VocabPattern {
  kind: 'suffix' | 'substring';
  text: string;
}

/** Returns up to `limit` indexed terms that end with / contain the pattern. */
export type ExpandTerms = (pattern: VocabPattern, limit: number) => Promise<string[]>;

export interface CompileOptions {
  expandTerms: ExpandTerms;
  /** How many indexed terms one leading wildcard may expand to before the query is refused. */
  maxExpansions?: number;
}

export const DEFAULT_MAX_EXPANSIONS = 200;

const FTS_COLUMNS: Record<TextField, string> = {
  from: 'sender',
  to: 'recipient_to',
  cc: 'recipient_cc',
  bcc: 'recipient_bcc',
  subject: 'subject',
  body: 'body',
  attachment: 'attachment',
};

/**
 * An intermediate result: an FTS5 expression still open to merging with its siblings (`negated`
 * means "rows NOT matching expr"), a finished SQL condition, or a constant that a wildcard with no
 * matching terms collapses to.
 */
type Part =
  | { kind: 'fts'; expr: string; negated: boolean }
  | { kind: 'sql'; sql: RawBuilder<SqlBool>; required?: Requirement[] }
  | { kind: 'const'; value: boolean };

/**
 * A condition that every row of a compiled query satisfies (a top-level AND component), in a form
 * the search can use to find candidate rows without walking all messages: the rowids matching an
 * FTS5 expression, or the contents with an attachment / above or below a size.
 */
export type Requirement =
  | { kind: 'fts'; match: string }
  | { kind: 'hasAttachment' }
  | { kind: 'size'; op: '>' | '<'; bytes: number }
  | { kind: 'messageId'; forms: [string, string] };

export interface CompiledQuery {
  /** The WHERE condition, as compileQuery returns it. */
  condition: RawBuilder<SqlBool>;
  /** Conditions implied by `condition`, for choosing a plan; the condition alone decides the rows. */
  required: Requirement[];
}

const TRUE: Part = { kind: 'const', value: true };
const FALSE: Part = { kind: 'const', value: false };

export function ftsString(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** Escapes LIKE metacharacters for `LIKE ? ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/gu, (ch) => `\\${ch}`);
}

function endsWithTokenChar(text: string): boolean {
  const last = [...text].at(-1);
  return last !== undefined && isTokenChar(last);
}

function startsWithTokenChar(text: string): boolean {
  const first = [...text][0];
  return first !== undefined && isTokenChar(first);
}

class QueryCompiler {
  private readonly maxExpansions: number;
  private readonly expansions = new Map<string, Promise<string[]>>();

  constructor(private readonly options: CompileOptions) {
    this.maxExpansions = options.maxExpansions ?? DEFAULT_MAX_EXPANSIONS;
  }

  async compile(node: QueryNode): Promise<Part> {
    switch (node.kind) {
      case 'text':
        return this.compileText(node);
      case 'hasAttachment':
        return {
          kind: 'sql',
          sql: sql<SqlBool>`c.has_attachments = 1`,
          required: [{ kind: 'hasAttachment' }],
        };
      case 'date': {
        // A message is dated by its Date header, or by its archive time when it has none: that is
        // exactly m.sort_date, which ingest sets to `c.date ?? archive time` for every copy. Using it
        // (not c.date) lets the messages_by_date index serve the range and the order at once.
        const when = sql`m.sort_date`;
        const cond =
          node.op === 'before'
            ? sql<SqlBool>`${when} < ${node.from}`
            : node.op === 'after'
              ? sql<SqlBool>`${when} >= ${node.to}`
              : sql<SqlBool>`(${when} >= ${node.from} and ${when} < ${node.to})`;
        return { kind: 'sql', sql: cond };
      }
      case 'size':
        return {
          kind: 'sql',
          sql: node.op === '>' ? sql<SqlBool>`c.size > ${node.bytes}` : sql<SqlBool>`c.size < ${node.bytes}`,
          required: [{ kind: 'size', op: node.op, bytes: node.bytes }],
        };
      case 'folder':
        return {
          kind: 'sql',
          sql: sql<SqlBool>`(lower(f.path) = lower(${node.path}) or lower(f.path) like lower(${`${escapeLike(node.path)}/%`}) escape '\\')`,
        };
      case 'mailbox':
        return { kind: 'sql', sql: sql<SqlBool>`lower(mb.name) = lower(${node.name})` };
      case 'messageId': {
        // Parsers keep the angle brackets or drop them; match either spelling.
        const forms: [string, string] = [`<${node.value}>`, node.value];
        return {
          kind: 'sql',
          sql: sql<SqlBool>`c.message_id in (${forms[0]}, ${forms[1]})`,
          required: [{ kind: 'messageId', forms }],
        };
      }
      case 'not':
        return negate(await this.compile(node.child));
      case 'and':
        return combineAnd(await Promise.all(node.children.map((c) => this.compile(c))));
      case 'or':
        return combineOr(await Promise.all(node.children.map((c) => this.compile(c))));
    }
  }

  private async compileText(node: TextTermNode): Promise<Part> {
    const expr = await this.textExpression(node);
    if (expr === null) return FALSE;
    const column = node.field ? FTS_COLUMNS[node.field] : null;
    return { kind: 'fts', expr: column ? `{${column}} : (${expr})` : expr, negated: false };
  }

  /** The FTS5 expression for one term, or null when a wildcard matches no indexed term. */
  private async textExpression(node: TextTermNode): Promise<string | null> {
    const { value } = node;
    switch (node.match) {
      case 'word':
      case 'phrase':
        return ftsString(value);
      case 'prefix':
        // "bob.*" means the token "bob" and anything after it, not every token starting with "bob".
        return endsWithTokenChar(value) ? `${ftsString(value)} *` : ftsString(value);
      case 'suffix':
      case 'substring':
        return this.leadingWildcardExpression(node);
    }
  }

  /**
   * FTS5 has no suffix or infix queries, so the first token is looked up in the vocabulary and the
   * term becomes an OR of phrases, one per indexed token that fits. The rest of a multi-token value
   * ("*smith@example.com") stays a phrase behind it; a trailing '*' still makes the last token a prefix.
   */
  private async leadingWildcardExpression(node: TextTermNode): Promise<string | null> {
    const { value } = node;
    const tokens = tokenizeText(value);
    const first = tokens[0];
    const trailingWildcard = node.match === 'substring' && endsWithTokenChar(value);
    if (!first || !startsWithTokenChar(value)) {
      // "*@example.com": the '*' stands before a separator, so any token may precede and the rest is
      // an ordinary phrase.
      return trailingWildcard ? `${ftsString(value)} *` : ftsString(value);
    }
    const single = tokens.length === 1;
    const pattern: VocabPattern = {
      kind: single && trailingWildcard ? 'substring' : 'suffix',
      text: first.folded,
    };
    const terms = await this.expand(pattern, node);
    if (terms.length === 0) return null;
    const rest = value.slice(first.end);
    const star = trailingWildcard && !single ? ' *' : '';
    return `(${terms.map((t) => `${ftsString(t + rest)}${star}`).join(' OR ')})`;
  }

  private async expand(pattern: VocabPattern, node: TextTermNode): Promise<string[]> {
    const key = `${pattern.kind}:${pattern.text}`;
    let pending = this.expansions.get(key);
    if (!pending) {
      pending = this.options.expandTerms(pattern, this.maxExpansions + 1);
      this.expansions.set(key, pending);
    }
    const terms = await pending;
    if (terms.length > this.maxExpansions) {
      const written = node.match === 'substring' ? `*${node.value}*` : `*${node.value}`;
      throw new ValidationError(
        `"${written}" at position ${node.span.start + 1} matches more than ${this.maxExpansions} indexed words — make the pattern longer`,
      );
    }
    return terms;
  }
}

function negate(part: Part): Part {
  switch (part.kind) {
    case 'fts':
      return { ...part, negated: !part.negated };
    case 'const':
      return part.value ? FALSE : TRUE;
    case 'sql':
      return { kind: 'sql', sql: sql<SqlBool>`not (${part.sql})` };
  }
}

function group(exprs: string[], op: 'AND' | 'OR'): string {
  return exprs.length === 1 ? exprs[0]! : exprs.map((e) => `(${e})`).join(` ${op} `);
}

function split(parts: Part[]) {
  const positive: string[] = [];
  const negative: string[] = [];
  const other: RawBuilder<SqlBool>[] = [];
  for (const part of parts) {
    if (part.kind === 'fts') (part.negated ? negative : positive).push(part.expr);
    else if (part.kind === 'sql') other.push(part.sql);
  }
  return { positive, negative, other };
}

function combineAnd(parts: Part[]): Part {
  if (parts.some((p) => p.kind === 'const' && !p.value)) return FALSE;
  const { positive, negative, other } = split(parts);
  const fts: Part[] = [];
  if (positive.length > 0) {
    // FTS5's NOT is binary ("a NOT b"), so negations ride along with the positive terms.
    const expr =
      negative.length > 0
        ? `(${group(positive, 'AND')}) NOT (${group(negative, 'OR')})`
        : group(positive, 'AND');
    fts.push({ kind: 'fts', expr, negated: false });
  } else if (negative.length > 0) {
    fts.push({ kind: 'fts', expr: group(negative, 'OR'), negated: true });
  }
  const all = [...fts.map(render), ...other];
  if (all.length === 0) return TRUE;
  if (all.length === 1 && fts.length === 1) return fts[0]!;
  // Every row satisfies every component of an AND: keep what the components require.
  const required = [...fts, ...parts.filter((p) => p.kind === 'sql')].flatMap(requirementsOf);
  return { kind: 'sql', sql: joinSql(all, 'and'), required };
}

function requirementsOf(part: Part): Requirement[] {
  switch (part.kind) {
    case 'fts':
      return part.negated ? [] : [{ kind: 'fts', match: part.expr }];
    case 'sql':
      return part.required ?? [];
    case 'const':
      return [];
  }
}

function combineOr(parts: Part[]): Part {
  if (parts.some((p) => p.kind === 'const' && p.value)) return TRUE;
  const { positive, negative, other } = split(parts);
  const fts: Part[] = [];
  if (positive.length > 0) fts.push({ kind: 'fts', expr: group(positive, 'OR'), negated: false });
  if (negative.length > 0) fts.push({ kind: 'fts', expr: group(negative, 'AND'), negated: true });
  const all = [...fts.map(render), ...other];
  if (all.length === 0) return FALSE;
  if (all.length === 1 && fts.length === 1) return fts[0]!;
  return { kind: 'sql', sql: joinSql(all, 'or') };
}

function joinSql(conds: RawBuilder<SqlBool>[], op: 'and' | 'or'): RawBuilder<SqlBool> {
  if (conds.length === 1) return conds[0]!;
  const joined = sql.join(
    conds.map((c) => sql`(${c})`),
    op === 'and' ? sql` and ` : sql` or `,
  );
  return sql<SqlBool>`${joined}`;
}

function render(part: Part): RawBuilder<SqlBool> {
  switch (part.kind) {
    case 'fts':
      // m.content_id (= c.id): the test can run on the message row, before its content is read.
      return part.negated
        ? sql<SqlBool>`m.content_id not in (select rowid from message_fts where message_fts match ${part.expr})`
        : sql<SqlBool>`m.content_id in (select rowid from message_fts where message_fts match ${part.expr})`;
    case 'const':
      return part.value ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
    case 'sql':
      return part.sql;
  }
}

/**
 * The WHERE condition for a parsed query. A query made only of negations ("-newsletter") means
 * "everything except": it compiles to `c.id NOT IN (…)` and is narrowed only by the caller's own
 * tenant and access conditions.
 */
export async function compileQuery(ast: QueryNode, options: CompileOptions): Promise<RawBuilder<SqlBool>> {
  return (await compileSearch(ast, options)).condition;
}

/** compileQuery plus the conditions every result must satisfy (see Requirement). */
export async function compileSearch(ast: QueryNode, options: CompileOptions): Promise<CompiledQuery> {
  const part = await new QueryCompiler(options).compile(ast);
  return { condition: sql<SqlBool>`(${render(part)})`, required: requirementsOf(part) };
}
