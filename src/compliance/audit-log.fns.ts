import { createHash } from 'node:crypto';
import type { AuditLogRow } from '../db/schema.js';

/** The prev_hash of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry's hash covers: every column but the row id (assigned by the database) and the hash. */
export type AuditEntryContent = Omit<AuditLogRow, 'id' | 'hash'>;

/** An entry before it joins its chain: the chain decides its seq and prev_hash. */
export type UnchainedAuditEntry = Omit<AuditEntryContent, 'seq' | 'prev_hash'>;

/** Per chain, the last seq and hash, kept apart from the entries so that deleting the last one shows. */
export interface AuditChainHead {
  seq: number;
  hash: string;
}

export type AuditProblemKind = 'edited' | 'missing' | 'reordered' | 'head-mismatch';

export interface AuditProblem {
  kind: AuditProblemKind;
  /**
   * The entry the problem was found at: the edited or misplaced entry, the first entry after a gap
   * ('missing'), the last entry left ('head-mismatch'); null when no entry is left at all.
   */
  entryId: number | null;
  seq: number | null;
  /** The seqs of deleted entries ('missing', and 'head-mismatch' when the chain lost its end). */
  deleted?: { from: number; to: number };
  /** One sentence for a person. */
  message: string;
}

/**
 * The bytes an entry's hash is taken over: a JSON object with the columns in this fixed order.
 * `details` is hashed as the JSON text that is stored, so nothing depends on re-serialising it.
 * Changing this function breaks every existing chain.
 */
export function canonicalEntry(entry: AuditEntryContent): string {
  return JSON.stringify({
    tenant_id: entry.tenant_id,
    seq: entry.seq,
    at: entry.at,
    actor_kind: entry.actor_kind,
    actor_id: entry.actor_id ?? null,
    actor_name: entry.actor_name,
    ip: entry.ip ?? null,
    action: entry.action,
    target_type: entry.target_type ?? null,
    target_id: entry.target_id ?? null,
    target_label: entry.target_label ?? null,
    outcome: entry.outcome,
    details: entry.details,
    prev_hash: entry.prev_hash,
  });
}

/** SHA-256 (hex) of the previous entry's hash, a newline and the canonical JSON of this entry. */
export function hashEntry(prevHash: string, entry: AuditEntryContent): string {
  return createHash('sha256')
    .update(prevHash + '\n' + canonicalEntry(entry))
    .digest('hex');
}

/** Places an entry after the chain's head (none yet: the genesis), ready to insert. */
export function chainEntry(
  entry: UnchainedAuditEntry,
  head: AuditChainHead | undefined,
): AuditEntryContent & { hash: string } {
  const chained: AuditEntryContent = {
    ...entry,
    seq: (head?.seq ?? 0) + 1,
    prev_hash: head?.hash ?? GENESIS_HASH,
  };
  return { ...chained, hash: hashEntry(chained.prev_hash, chained) };
}

/**
 * Checks one chain: `rows` are all its entries in id (insertion) order, `head` its audit_heads row.
 * Each kind of tampering is reported once, at the entry where it shows:
 * - 'edited': an entry's content no longer matches its hash;
 * - 'missing': seqs are absent between two entries (or before the first);
 * - 'reordered': ids run against seqs (entries swapped), or an entry does not link to the hash of
 *   the entry before it (that entry was rewritten together with its hash);
 * - 'head-mismatch': the last entries were deleted, or the head disagrees with the last entry.
 */
export function verifyChain(rows: readonly AuditLogRow[], head: AuditChainHead | undefined): AuditProblem[] {
  const problems: AuditProblem[] = [];

  for (const row of rows) {
    if (hashEntry(row.prev_hash, row) !== row.hash) {
      problems.push(problem('edited', row, `${describeEntry(row)} was edited after it was written`));
    }
  }

  // Entries are inserted in seq order, so ids must rise with seqs.
  let furthest: AuditLogRow | undefined;
  for (const row of rows) {
    if (furthest && row.seq <= furthest.seq) {
      problems.push(
        problem(
          'reordered',
          row,
          `${describeEntry(row)} is stored after ${describeEntry(furthest)} although it was written ` +
            `before it: the entries were swapped or moved`,
        ),
      );
    }
    if (!furthest || row.seq > furthest.seq) furthest = row;
  }

  const inChainOrder = [...rows].sort((a, b) => a.seq - b.seq || a.id - b.id);
  let previous: AuditLogRow | undefined;
  for (const row of inChainOrder) {
    const expectedSeq = previous ? previous.seq + 1 : 1;
    if (row.seq > expectedSeq) {
      const where = previous
        ? `the chain goes from ${describeEntry(previous)} straight to ${describeEntry(row)}`
        : `the chain starts at ${describeEntry(row)}`;
      problems.push({
        ...problem('missing', row, `${deletedEntries(expectedSeq, row.seq - 1)}: ${where}`),
        deleted: { from: expectedSeq, to: row.seq - 1 },
      });
    } else if (row.prev_hash !== (previous?.hash ?? GENESIS_HASH)) {
      const message = previous
        ? `${describeEntry(row)} does not link to ${describeEntry(previous)}: the hash it records for ` +
          `its predecessor is not that entry's hash, so that entry was rewritten or the entries were reordered`
        : `${describeEntry(row)} is the first entry but does not start from the genesis hash: ` +
          `it was rewritten or moved here from elsewhere`;
      problems.push(problem('reordered', row, message));
    }
    previous = row;
  }

  const last = inChainOrder.at(-1);
  if (!head) {
    if (last) {
      problems.push(
        problem(
          'head-mismatch',
          last,
          `the chain's head record is missing, so deleted entries after ${describeEntry(last)} ` +
            `could not be detected: it was deleted`,
        ),
      );
    }
  } else if (!last) {
    if (head.seq > 0) {
      problems.push({
        kind: 'head-mismatch',
        entryId: null,
        seq: null,
        deleted: { from: 1, to: head.seq },
        message: `${deletedEntries(1, head.seq)}: the chain head records ${head.seq} ${plural(head.seq, 'entry', 'entries')} but none is left`,
      });
    }
  } else if (last.seq < head.seq) {
    problems.push({
      ...problem(
        'head-mismatch',
        last,
        `${deletedEntries(last.seq + 1, head.seq)} from the end of the chain: it now ends at ${describeEntry(last)}, ` +
          `but the chain head records seq ${head.seq}`,
      ),
      deleted: { from: last.seq + 1, to: head.seq },
    });
  } else if (last.seq > head.seq) {
    problems.push(
      problem(
        'head-mismatch',
        last,
        `${describeEntry(last)} was added behind the audit log's back: the chain head records only seq ${head.seq}`,
      ),
    );
  } else if (last.hash !== head.hash) {
    problems.push(
      problem(
        'head-mismatch',
        last,
        `${describeEntry(last)} does not match the chain head: the hash recorded when it was written is different, ` +
          `so it was replaced`,
      ),
    );
  }

  return problems.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
}

/** "entry 17 (seq 17, 2026-11-24T10:00:00Z, user.create by admin@acme)" */
export function describeEntry(row: Pick<AuditLogRow, 'id' | 'seq' | 'at' | 'action' | 'actor_name'>): string {
  return `entry ${row.id} (seq ${row.seq}, ${formatInstant(row.at)}, ${row.action} by ${row.actor_name})`;
}

/** ISO 8601 in UTC to the second; a value that is no instant (a tampered column) is shown as it is. */
function formatInstant(at: unknown): string {
  if (typeof at !== 'number' || !Number.isFinite(at)) return String(at);
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function problem(kind: AuditProblemKind, row: AuditLogRow, message: string): AuditProblem {
  return { kind, entryId: row.id, seq: row.seq, message };
}

function deletedEntries(from: number, to: number): string {
  return from === to
    ? `the entry with seq ${from} was deleted`
    : `the ${to - from + 1} entries with seq ${from} to ${to} were deleted`;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
