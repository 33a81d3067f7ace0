import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { type QueryNode, parseQuery } from './query-parser.js';

/** A compact rendering of the AST, so each table row states the whole expected tree in one line. */
function show(node: QueryNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${node.children.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(node.child)})`;
    case 'text': {
      const field = node.field ? `${node.field}:` : '';
      const value = {
        word: node.value,
        phrase: `"${node.value}"`,
        prefix: `${node.value}*`,
        suffix: `*${node.value}`,
        substring: `*${node.value}*`,
      }[node.match];
      return field + value;
    }
    case 'hasAttachment':
      return 'has:attachment';
    case 'date':
      return `${node.op}[${new Date(node.from).toISOString().slice(0, 10)},${new Date(node.to).toISOString().slice(0, 10)})`;
    case 'size':
      return `size${node.op}${node.bytes}`;
    case 'folder':
      return `folder=${node.path}`;
    case 'mailbox':
      return `mailbox=${node.name}`;
    case 'messageId':
      return `messageid=${node.value}`;
  }
}

describe('parseQuery builds the AST for each construct', () => {
  it.each([
    ['invoice', 'invoice'],
    ['  invoice  ', 'invoice'],
    ['messageid:<abc.123@example.com>', 'messageid=abc.123@example.com'],
    ['messageid:abc.123@example.com', 'messageid=abc.123@example.com'],
    ['"quarterly report"', '"quarterly report"'],
    ['invo*', 'invo*'],
    ['*voice', '*voice'],
    ['*voic*', '*voic*'],
    ['e-mail', 'e-mail'],
    ['http://example.com/x', 'http://example.com/x'],
    ['10:30', '10:30'],
    ['from:bob.smith@example.com', 'from:bob.smith@example.com'],
    ['FROM:bob', 'from:bob'],
    ['from:"Bob Smith"', 'from:"Bob Smith"'],
    ['from:*@example.com', 'from:*@example.com'],
    ['to:alice cc:carol bcc:dave', '(and to:alice cc:carol bcc:dave)'],
    ['subject:budg* body:*port* attachment:pdf', '(and subject:budg* body:*port* attachment:pdf)'],
    ['has:attachment', 'has:attachment'],
    ['HAS:Attachments', 'has:attachment'],
    ['before:2024-03-15', 'before[2024-03-15,2024-03-16)'],
    ['after:2024-03', 'after[2024-03-01,2024-04-01)'],
    ['on:2024', 'on[2024-01-01,2025-01-01)'],
    ['on:2024-02-29', 'on[2024-02-29,2024-03-01)'],
    ['on:2024-12', 'on[2024-12-01,2025-01-01)'],
    ['size>100', 'size>100'],
    ['size<10k', 'size<10240'],
    ['size>2M', 'size>2097152'],
    ['size>1.5mb', 'size>1572864'],
    ['SIZE>1K', 'size>1024'],
    ['folder:Inbox', 'folder=Inbox'],
    ['folder:"Sent Items/2024"', 'folder=Sent Items/2024'],
    ['folder:/Projects/', 'folder=Projects'],
    ['mailbox:"Journal EU"', 'mailbox=Journal EU'],
    ['mailbox:alice', 'mailbox=alice'],
    ['-spam', '(not spam)'],
    ['-"out of office"', '(not "out of office")'],
    ['-from:noreply', '(not from:noreply)'],
    ['--a', '(not (not a))'],
    ['a-b', 'a-b'],
    ['a - b', '(and a b)'],
    ['NOT a', '(not a)'],
    ['a b c', '(and a b c)'],
    ['a AND b', '(and a b)'],
    ['a OR b', '(or a b)'],
    ['and or not', '(and and or not)'],
    ['a"b c"', '(and a "b c")'],
    ['(a)', 'a'],
    ['a & b', '(and a b)'],
  ])('%s', (query, expected) => {
    expect(show(parseQuery(query))).toBe(expected);
  });
});

describe('parseQuery binds NOT tighter than AND, and AND tighter than OR', () => {
  it.each([
    ['a b OR c', '(or (and a b) c)'],
    ['a OR b c', '(or a (and b c))'],
    ['a OR b AND c', '(or a (and b c))'],
    ['NOT a b', '(and (not a) b)'],
    ['NOT a OR b', '(or (not a) b)'],
    ['-a OR -b c', '(or (not a) (and (not b) c))'],
    ['(a OR b) c', '(and (or a b) c)'],
    ['NOT (a OR b)', '(not (or a b))'],
    ['a (b OR (c -d))', '(and a (or b (and c (not d))))'],
    ['a OR b OR c', '(or a b c)'],
    ['a AND b AND c', '(and a b c)'],
  ])('%s', (query, expected) => {
    expect(show(parseQuery(query))).toBe(expected);
  });
});

describe('parseQuery records source spans', () => {
  it('gives 0-based end-exclusive offsets for terms and operators', () => {
    const ast = parseQuery('from:"Bob Smith" -spam');
    expect(ast).toMatchObject({
      kind: 'and',
      span: { start: 0, end: 22 },
      children: [
        { kind: 'text', span: { start: 0, end: 16 } },
        { kind: 'not', span: { start: 17, end: 22 }, child: { span: { start: 18, end: 22 } } },
      ],
    });
  });
});

describe('parseQuery rejects malformed queries with a position', () => {
  it.each([
    ['', 'The query is empty'],
    ['   ', 'The query is empty'],
    ['& --', 'The query has no letters or digits to search for'],
    ['report "annual', 'Unclosed quote starting at position 8'],
    ['from:"Bob', 'Unclosed quote starting at position 6'],
    ['form:bob', 'Unknown field "form:" at position 1 — did you mean "from:"?'],
    ['x subjet:hi', 'Unknown field "subjet:" at position 3 — did you mean "subject:"?'],
    ['col:x', 'Unknown field "col:" at position 1 — did you mean'],
    ['zzzzzz:x', 'Unknown field "zzzzzz:" at position 1 — known fields are'],
    ['from:', 'Expected a value after "from:" at position 1'],
    ['from: bob', 'Expected a value after "from:" at position 1'],
    ['from:"&"', '"from:" at position 1 needs letters or digits'],
    ['has:pdf', 'Unknown value "has:pdf" at position 1 — expected has:attachment'],
    ['before:2024-13-01', 'Expected a date as YYYY-MM-DD, YYYY-MM or YYYY after "before:" at position 1'],
    ['on:2023-02-29', 'got "2023-02-29"'],
    ['after:yesterday', 'after "after:" at position 1'],
    ['on:24-01-01', 'at position 1'],
    ['size>big', 'Expected a size after "size>" at position 1'],
    ['size>10g', 'Expected a size after "size>" at position 1'],
    ['size:10', 'Expected size>N or size<N at position 1'],
    ['folder:""', 'Expected a folder path after "folder:" at position 1'],
    ['mailbox:" "', 'Expected a mailbox name after "mailbox:" at position 1'],
    ['foo*bar', 'Wildcard "*" at position 4 — wildcards are allowed only at the start or end of a word'],
    ['*a', 'is too short'],
    ['*', 'Wildcard at position 1 needs letters or digits'],
    ['a OR', 'Expected a search term after OR at position 3, found the end of the query'],
    ['a AND OR b', 'Expected a search term after AND at position 3, found OR at position 7'],
    ['OR a', 'Expected a search term at position 1, found OR'],
    ['a NOT', 'Expected a search term after NOT at position 3'],
    ['(a OR b', 'Expected ")" to close "(" at position 1, found the end of the query'],
    ['a) b', 'Unexpected ")" at position 2'],
    ['()', 'Empty parentheses at position 1'],
    ['"foo" OR NEAR(', 'Expected ")" to close "(" at position 14'],
  ])('%j', (query, message) => {
    let error: unknown;
    try {
      parseQuery(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(message);
  });
});
