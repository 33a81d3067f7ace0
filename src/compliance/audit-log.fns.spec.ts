import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditLogRow } from '../db/schema.js';
import {
  canonicalEntry,
  chainEntry,
  describeEntry,
  GENESIS_HASH,
  hashEntry,
  verifyChain,
  type AuditChainHead,
} from './audit-log.fns.js';

const START = Date.parse('2026-11-24T10:00:00Z');

/** A chain of `n` entries as the repository would write them: ids and seqs from 1, one per minute. */
function buildChain(n: number, tenantId = 2): { rows: AuditLogRow[]; head: AuditChainHead } {
  const rows: AuditLogRow[] = [];
  for (let i = 1; i <= n; i++) {
    const previous = rows.at(-1);
    const entry = chainEntry(
      {
        tenant_id: tenantId,
        at: START + (i - 1) * 60_000,
        actor_kind: 'user',
        actor_id: 7,
        actor_name: 'admin@acme',
        ip: '192.0.2.1',
        action: i % 2 ? 'user.create' : 'group.roles.set',
        target_type: 'user',
        target_id: String(100 + i),
        target_label: `user${i}@acme`,
        outcome: 'success',
        details: JSON.stringify({ n: i }),
      },
      previous ? { seq: previous.seq, hash: previous.hash } : undefined,
    );
    rows.push({ id: i, ...entry });
  }
  const last = rows.at(-1);
  return { rows, head: last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH } };
}

const kinds = (problems: ReturnType<typeof verifyChain>) => problems.map((p) => [p.kind, p.entryId, p.seq]);

describe('audit entry hashing', () => {
  it('hashes the previous hash, a newline and the canonical JSON with SHA-256', () => {
    const { rows } = buildChain(1);
    const row = rows[0]!;
    const expected = createHash('sha256')
      .update(GENESIS_HASH + '\n' + canonicalEntry(row))
      .digest('hex');
    expect(hashEntry(GENESIS_HASH, row)).toBe(expected);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('serialises every field but id and hash, in a fixed order, whatever the order of the input', () => {
    const { rows } = buildChain(1);
    const { id: _id, hash: _hash, ...content } = rows[0]!;
    const shuffled = Object.fromEntries(Object.entries(content).reverse()) as typeof content;
    expect(canonicalEntry(shuffled)).toBe(canonicalEntry(content));
    expect(Object.keys(JSON.parse(canonicalEntry(content)))).toEqual([
      'tenant_id',
      'seq',
      'at',
      'actor_kind',
      'actor_id',
      'actor_name',
      'ip',
      'action',
      'target_type',
      'target_id',
      'target_label',
      'outcome',
      'details',
      'prev_hash',
    ]);
  });

  it('changes the hash when any field or the previous hash changes', () => {
    const row = buildChain(1).rows[0]!;
    const base = hashEntry(row.prev_hash, row);
    expect(hashEntry('1'.repeat(64), row)).not.toBe(base);
    expect(hashEntry(row.prev_hash, { ...row, tenant_id: 3 })).not.toBe(base);
    expect(hashEntry(row.prev_hash, { ...row, details: '{"n":2}' })).not.toBe(base);
    expect(hashEntry(row.prev_hash, { ...row, ip: null })).not.toBe(base);
  });

  it('starts a chain at seq 1 from the genesis hash and links each entry to the one before', () => {
    const { rows } = buildChain(3);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows[2]!.prev_hash).toBe(rows[1]!.hash);
  });

  it('describes an entry by id, seq, time, action and actor', () => {
    const row = { ...buildChain(1).rows[0]!, id: 17, seq: 17 };
    expect(describeEntry(row)).toBe('entry 17 (seq 17, 2026-11-24T10:00:00Z, user.create by admin@acme)');
  });
});

describe('verifyChain', () => {
  it('finds nothing wrong with an intact chain, an empty one, or a chain without entries yet', () => {
    const { rows, head } = buildChain(10);
    expect(verifyChain(rows, head)).toEqual([]);
    expect(verifyChain([], undefined)).toEqual([]);
    expect(verifyChain([], { seq: 0, hash: GENESIS_HASH })).toEqual([]);
  });

  it('names an edited entry', () => {
    const { rows, head } = buildChain(20);
    rows[16] = { ...rows[16]!, details: JSON.stringify({ n: 'changed' }) };
    const problems = verifyChain(rows, head);
    expect(kinds(problems)).toEqual([['edited', 17, 17]]);
    expect(problems[0]!.message).toBe(
      'entry 17 (seq 17, 2026-11-24T10:16:00Z, user.create by admin@acme) was edited after it was written',
    );
  });

  it('names a deleted entry in the middle by its seq and the entries around the gap', () => {
    const { rows, head } = buildChain(10);
    rows.splice(4, 1);
    const problems = verifyChain(rows, head);
    expect(kinds(problems)).toEqual([['missing', 6, 6]]);
    expect(problems[0]!.deleted).toEqual({ from: 5, to: 5 });
    expect(problems[0]!.message).toMatch(
      /^the entry with seq 5 was deleted: the chain goes from entry 4 \(seq 4, .*\) straight to entry 6 \(seq 6, /,
    );
  });

  it('names several deleted entries as one range, also at the start of a chain', () => {
    const { rows, head } = buildChain(10);
    const problems = verifyChain([...rows.slice(0, 2), ...rows.slice(5)].slice(1), head);
    expect(kinds(problems)).toEqual([
      ['missing', 2, 2],
      ['missing', 6, 6],
    ]);
    expect(problems[0]!.message).toMatch(/^the entry with seq 1 was deleted: the chain starts at entry 2/);
    expect(problems[1]!.message).toMatch(/^the 3 entries with seq 3 to 5 were deleted/);
  });

  it('detects deleted last entries through the head', () => {
    const { rows, head } = buildChain(10);
    const problems = verifyChain(rows.slice(0, 8), head);
    expect(kinds(problems)).toEqual([['head-mismatch', 8, 8]]);
    expect(problems[0]!.deleted).toEqual({ from: 9, to: 10 });
    expect(problems[0]!.message).toMatch(
      /^the 2 entries with seq 9 to 10 were deleted from the end of the chain: it now ends at entry 8 \(seq 8,/,
    );
  });

  it('detects that every entry was deleted', () => {
    const { head } = buildChain(3);
    const problems = verifyChain([], head);
    expect(kinds(problems)).toEqual([['head-mismatch', null, null]]);
    expect(problems[0]!.message).toMatch(/^the 3 entries with seq 1 to 3 were deleted/);
  });

  it('detects a missing head, a head that lags behind, and a head with another hash', () => {
    const { rows, head } = buildChain(4);
    expect(kinds(verifyChain(rows, undefined))).toEqual([['head-mismatch', 4, 4]]);
    expect(kinds(verifyChain(rows, { seq: 3, hash: rows[2]!.hash }))).toEqual([['head-mismatch', 4, 4]]);
    const replaced = verifyChain(rows, { ...head, hash: 'f'.repeat(64) });
    expect(kinds(replaced)).toEqual([['head-mismatch', 4, 4]]);
    expect(replaced[0]!.message).toMatch(/does not match the chain head/);
  });

  it('names two entries whose rows were swapped', () => {
    const { rows, head } = buildChain(6);
    const [third, fourth] = [rows[2]!, rows[3]!];
    rows[2] = { ...fourth, id: 3 };
    rows[3] = { ...third, id: 4 };
    const problems = verifyChain(rows, head);
    expect(kinds(problems)).toEqual([['reordered', 4, 3]]);
    expect(problems[0]!.message).toMatch(
      /^entry 4 \(seq 3, .*\) is stored after entry 3 \(seq 4, .*\) although it was written before it/,
    );
  });

  it('reports both entries as edited when only their content (not seq and hashes) was swapped', () => {
    const { rows, head } = buildChain(6);
    const [third, fourth] = [rows[2]!, rows[3]!];
    rows[2] = { ...third, action: fourth.action, details: fourth.details };
    rows[3] = { ...fourth, action: third.action, details: third.details };
    expect(kinds(verifyChain(rows, head))).toEqual([
      ['edited', 3, 3],
      ['edited', 4, 4],
    ]);
  });

  it('detects an entry rewritten together with its own hash by the broken link after it', () => {
    const { rows, head } = buildChain(6);
    const rewritten = { ...rows[2]!, details: '{"n":"forged"}' };
    rows[2] = { ...rewritten, hash: hashEntry(rewritten.prev_hash, rewritten) };
    const problems = verifyChain(rows, head);
    expect(kinds(problems)).toEqual([['reordered', 4, 4]]);
    expect(problems[0]!.message).toMatch(/^entry 4 \(seq 4, .*\) does not link to entry 3 \(seq 3,/);
  });

  it('detects a first entry that does not start from the genesis hash', () => {
    const { rows, head } = buildChain(2);
    const moved = { ...rows[0]!, prev_hash: 'a'.repeat(64) };
    rows[0] = { ...moved, hash: hashEntry(moved.prev_hash, moved) };
    expect(kinds(verifyChain(rows, head))).toContainEqual(['reordered', 1, 1]);
  });

  it('shows a tampered timestamp as it is instead of failing', () => {
    const { rows, head } = buildChain(2);
    rows[0] = { ...rows[0]!, at: 'yesterday' as unknown as number };
    expect(verifyChain(rows, head)[0]!.message).toMatch(/^entry 1 \(seq 1, yesterday, user.create/);
  });
});
