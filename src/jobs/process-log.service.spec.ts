import { describe, expect, it } from 'vitest';
import { ForbiddenError, ValidationError } from '../core/errors.js';
import type { ProcessLogRow, Role } from '../db/schema.js';
import type { AuthContext } from '../tenancy/access.js';
import type { ProcessLogQuery } from './process-log.repository.js';
import { ProcessLogService } from './process-log.service.js';

const as = (...roles: Role[]): AuthContext => ({
  tenantId: 7,
  actor: { kind: 'user', id: 1, name: 'someone@acme', roles },
});

function row(id: number, details = '{"peer":"10.0.0.1"}'): ProcessLogRow {
  return {
    id,
    tenant_id: 7,
    process: 'journal-intake',
    subject_id: 3,
    subject_name: 'M365',
    severity: 'warning',
    message: `entry ${id}`,
    details_json: details,
    created_at: 1_000 + id,
    run_id: null,
  };
}

/** A repository stand-in that records what it was asked and answers from `rows` (newest first). */
function serviceWith(rows: ProcessLogRow[]) {
  const calls: Array<{ tenantId: number | null; query: ProcessLogQuery }> = [];
  const service = new ProcessLogService({
    list: async (tenantId, query) => {
      calls.push({ tenantId, query });
      return rows.filter((r) => query.beforeId === undefined || r.id < query.beforeId).slice(0, query.limit);
    },
  });
  return { service, calls };
}

describe('ProcessLogService', () => {
  it('lets admins and auditors read, and nobody else', async () => {
    const { service, calls } = serviceWith([]);
    await expect(service.list(as('admin'))).resolves.toEqual({ entries: [], nextCursor: null });
    await expect(service.list(as('auditor'))).resolves.toEqual({ entries: [], nextCursor: null });
    await expect(service.list(as('reader', 'compliance'))).rejects.toBeInstanceOf(ForbiddenError);
    expect(calls).toHaveLength(2);
  });

  it("always asks for the caller's tenant, never the installation's", async () => {
    const { service, calls } = serviceWith([]);
    await service.list(as('admin'), {
      process: ' journal-intake ',
      minSeverity: 'warning',
      since: 5,
      until: 9,
    });
    expect(calls).toEqual([
      {
        tenantId: 7,
        query: {
          process: 'journal-intake',
          minSeverity: 'warning',
          since: 5,
          until: 9,
          beforeId: undefined,
          limit: 51,
        },
      },
    ]);
  });

  it('pages by id with a cursor and parses the details', async () => {
    const { service } = serviceWith([row(5), row(4), row(3, 'not json'), row(2)]);
    const first = await service.list(as('admin'), { limit: 2 });
    expect(first.entries.map((e) => e.id)).toEqual([5, 4]);
    expect(first.entries[0]).toEqual({
      id: 5,
      at: 1_005,
      process: 'journal-intake',
      subjectId: 3,
      subjectName: 'M365',
      severity: 'warning',
      message: 'entry 5',
      details: { peer: '10.0.0.1' },
      runId: null,
    });
    expect(first.nextCursor).toBe(4);
    const second = await service.list(as('admin'), { limit: 2, before: first.nextCursor! });
    expect(second.entries.map((e) => e.id)).toEqual([3, 2]);
    expect(second.entries[0]!.details).toEqual({ unreadable: 'not json' });
    expect(second.nextCursor).toBeNull();
  });

  it('refuses a page size out of range and a reversed time range', async () => {
    const { service } = serviceWith([]);
    await expect(service.list(as('admin'), { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(service.list(as('admin'), { limit: 201 })).rejects.toBeInstanceOf(ValidationError);
    await expect(service.list(as('admin'), { since: 10, until: 5 })).rejects.toBeInstanceOf(ValidationError);
  });
});
