import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessLogEntry } from '../../src/jobs/process-log.repository.js';
import { openTempHttp, type Answer, type TempHttp, type TestClient } from '../support/http.js';

const URL = '/api/v1/admin/process-log';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 24, 8);

interface Listed {
  id: number;
  at: number;
  process: string;
  subjectId: number | null;
  subjectName: string;
  severity: string;
  message: string;
  details: Record<string, unknown>;
}

interface Page {
  entries: Listed[];
  nextCursor: number | null;
}

const messages = (body: { entries: Listed[] }) => body.entries.map((e) => e.message);

describe('Admin Access process log API', () => {
  let http: TempHttp;
  let acme: { admin: TestClient; tenantId: number };
  let globex: { admin: TestClient; tenantId: number };

  const entry = (tenantId: number | null, over: Partial<ProcessLogEntry>): ProcessLogEntry => ({
    tenantId,
    process: 'journal-intake',
    subjectId: 1,
    subjectName: 'M365',
    severity: 'info',
    message: 'an event',
    details: { peer: '192.0.2.1', mailFrom: 'journal@contoso.test', size: 1234 },
    at: T0,
    ...over,
  });

  /** A user of `admin`'s tenant with exactly these roles, signed in. */
  const userWithRoles = async (admin: TestClient, name: string, roles: string[]) => {
    const user = await admin.post('/api/v1/admin/users', { name });
    expect(user.status).toBe(201);
    if (roles.length > 0) {
      const group = await admin.post('/api/v1/admin/groups', {
        name: `${name}-group`,
        roles,
        memberIds: [user.body.user.id],
      });
      expect(group.status).toBe(201);
    }
    const client = http.client();
    await client.signInTenant(user.body.user.login, user.body.password);
    return client;
  };

  beforeEach(async () => {
    http = await openTempHttp();
    const a = await http.tenantWithAdmin('acme');
    const b = await http.tenantWithAdmin('globex');
    acme = { admin: a.admin, tenantId: a.tenant.id };
    globex = { admin: b.admin, tenantId: b.tenant.id };
  });
  afterEach(async () => {
    await http.close();
  });

  it("shows each tenant's admin only their own entries, newest first, details as an object", async () => {
    await http.app.processLog.append([
      entry(acme.tenantId, { message: 'acme first', at: T0 }),
      entry(globex.tenantId, { message: 'globex only', subjectName: 'Globex journal', at: T0 + 1 }),
      entry(null, { message: 'the installation', process: 'maintenance', at: T0 + 2 }),
      entry(acme.tenantId, {
        message: 'acme second',
        severity: 'warning',
        at: T0 + 3,
        details: { peer: '192.0.2.7', messageId: '<m1@contoso.test>' },
      }),
    ]);

    const ofAcme = await acme.admin.get(URL);
    expect(ofAcme.status).toBe(200);
    expect(messages(ofAcme.body)).toEqual(['acme second', 'acme first']);
    expect(ofAcme.body.entries[0]).toMatchObject({
      at: T0 + 3,
      process: 'journal-intake',
      subjectId: 1,
      subjectName: 'M365',
      severity: 'warning',
      details: { peer: '192.0.2.7', messageId: '<m1@contoso.test>' },
    });
    expect(ofAcme.body.nextCursor).toBeNull();
    expect(JSON.stringify(ofAcme.body)).not.toMatch(/globex|installation/i);

    const ofGlobex = await globex.admin.get(URL);
    expect(messages(ofGlobex.body)).toEqual(['globex only']);
    // Another tenant's id as a cursor reveals nothing either.
    const cursor = ofGlobex.body.entries[0].id as number;
    expect(messages((await acme.admin.get(`${URL}?before=${cursor + 10}`)).body)).toEqual([
      'acme second',
      'acme first',
    ]);
  });

  it('filters by minimum severity, process type and time range', async () => {
    await http.app.processLog.append([
      entry(acme.tenantId, { message: 'info at 8', severity: 'info', at: T0 }),
      entry(acme.tenantId, { message: 'warning at 9', severity: 'warning', at: T0 + HOUR }),
      entry(acme.tenantId, { message: 'error at 10', severity: 'error', at: T0 + 2 * HOUR }),
      entry(acme.tenantId, { message: 'other process', process: 'folder-sync', at: T0 + 3 * HOUR }),
    ]);
    const list = async (query: string) => {
      const answer = await acme.admin.get(`${URL}?${query}`);
      expect(answer.status).toBe(200);
      return messages(answer.body);
    };
    expect(await list('minSeverity=warning')).toEqual(['error at 10', 'warning at 9']);
    expect(await list('minSeverity=error')).toEqual(['error at 10']);
    expect(await list('minSeverity=info&process=folder-sync')).toEqual(['other process']);
    expect(await list('process=journal-intake')).toEqual(['error at 10', 'warning at 9', 'info at 8']);
    // since inclusive, until exclusive
    expect(await list(`since=${T0 + HOUR}&until=${T0 + 3 * HOUR}`)).toEqual(['error at 10', 'warning at 9']);
    expect(await list(`until=${T0 + HOUR}`)).toEqual(['info at 8']);
    expect(await list('process=nothing-like-it')).toEqual([]);
  });

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    await http.app.processLog.append(
      Array.from({ length: 7 }, (_, i) => entry(acme.tenantId, { message: `event ${i}`, at: T0 + i })),
    );
    const seen: string[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const answer: Answer<Page> = await acme.admin.get(
        `${URL}?limit=3${before === null ? '' : `&before=${before}`}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.body.entries.length).toBeLessThanOrEqual(3);
      seen.push(...messages(answer.body));
      before = answer.body.nextCursor;
      pages += 1;
    } while (before !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(['event 6', 'event 5', 'event 4', 'event 3', 'event 2', 'event 1', 'event 0']);
    // The default page holds 50.
    await http.app.processLog.append(
      Array.from({ length: 60 }, (_, i) => entry(acme.tenantId, { message: `bulk ${i}`, at: T0 + 100 + i })),
    );
    const first = await acme.admin.get(URL);
    expect(first.body.entries).toHaveLength(50);
    expect(first.body.nextCursor).toBe(first.body.entries[49].id);
  });

  it('opens to admins and auditors, refuses readers (403) and anyone signed out (401)', async () => {
    await http.app.processLog.append([entry(acme.tenantId, { message: 'visible' })]);
    const auditor = await userWithRoles(acme.admin, 'audrey', ['auditor']);
    const auditorAnswer = await auditor.get(URL);
    expect(auditorAnswer.status).toBe(200);
    expect(messages(auditorAnswer.body)).toEqual(['visible']);

    const reader = await userWithRoles(acme.admin, 'rita', ['reader']);
    const readerAnswer = await reader.get(URL);
    expect(readerAnswer.status).toBe(403);
    expect(readerAnswer.body.code).toBe('FORBIDDEN');
    expect(JSON.stringify(readerAnswer.body)).not.toContain('visible');
    const nobody = await userWithRoles(acme.admin, 'nora', []);
    expect((await nobody.get(URL)).status).toBe(403);

    const signedOut = await http.client().get(URL);
    expect(signedOut.status).toBe(401);
    expect(signedOut.body.code).toBe('UNAUTHENTICATED');
  });

  it('explains a bad query', async () => {
    for (const query of ['limit=0', 'limit=201', 'minSeverity=fatal', 'before=abc', `since=10&until=5`]) {
      const answer = await acme.admin.get(`${URL}?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code, query).toBe('VALIDATION');
    }
  });
});
