import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { corpusDir } from '../support/paths.js';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';
import { storedObjects } from '../support/stored-objects.js';

const files = [
  'tika/testRFC822_date_utf8',
  'mime4j/russian-headers.msg',
  'tika/testRFC822_multipart_attachments.eml',
].map((f) => join(corpusDir, f));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('schedules and job runs over HTTP', () => {
  let http: TempHttp;
  let admin: TestClient;
  let tenant: { id: number; slug: string };

  /** A user of the tenant with exactly these roles, signed in. */
  const userWithRoles = async (name: string, roles: string[]) => {
    const user = await admin.post('/api/v1/admin/users', { name });
    const group = await admin.post('/api/v1/admin/groups', {
      name: `${name}-group`,
      roles,
      memberIds: [user.body.user.id],
    });
    expect(group.status).toBe(201);
    const client = http.client();
    await client.signInTenant(user.body.user.login, user.body.password);
    return client;
  };

  const finished = (runId: number) =>
    until(
      async () => (await admin.get(`/api/v1/admin/job-runs/${runId}`)).body,
      (detail) => !['queued', 'running'].includes(detail.run.status),
      `run ${runId}`,
    );

  beforeEach(async () => {
    http = await openTempHttp();
    ({ admin, tenant } = await http.tenantWithAdmin('acme'));
    const mailbox = await http.app.archive.ensureMailbox({ tenantId: tenant.id }, 'alice');
    await http.app.archive.archiveBatch(
      { tenantId: tenant.id },
      mailbox.id,
      files.map((path) => ({ raw: readFileSync(path), folderPath: 'Inbox', sourceRef: path })),
    );
    await http.app.jobs.start();
  });

  afterEach(async () => {
    await http.close();
  });

  it('lists what can be scheduled and validates recurrences with messages that say what is wrong', async () => {
    const configurations = await admin.get('/api/v1/admin/job-configurations');
    expect(configurations.body).toEqual({
      configurations: [{ jobType: 'integrity-check', configId: null, name: 'Archive integrity' }],
    });
    const past = await admin.post('/api/v1/admin/schedules', {
      jobType: 'integrity-check',
      configId: null,
      recurrence: { kind: 'once', at: '2020-01-01T10:00' },
      timeZone: 'Europe/Berlin',
    });
    expect(past.status).toBe(400);
    expect(JSON.stringify(past.body)).toMatch(/at least 1 minute in the future/);
    const badStep = await admin.post('/api/v1/admin/schedules', {
      jobType: 'integrity-check',
      configId: null,
      recurrence: { kind: 'minutes', every: 20 },
      timeZone: 'Europe/Berlin',
    });
    expect(badStep.status).toBe(400);
    expect(JSON.stringify(badStep.body)).toMatch(/multiple of 15/);
    const badZone = await admin.post('/api/v1/admin/schedules', {
      jobType: 'integrity-check',
      configId: null,
      recurrence: { kind: 'daily', time: '02:00' },
      timeZone: 'Mars/Olympus',
    });
    expect(badZone.status).toBe(400);
    const unknown = await admin.post('/api/v1/admin/schedules', {
      jobType: 'defragment',
      configId: null,
      recurrence: { kind: 'daily', time: '02:00' },
      timeZone: 'UTC',
    });
    expect(unknown.status).toBe(400);
  });

  it('schedules the integrity check, runs it now, and shows the run with its messages', async () => {
    const created = await admin.post('/api/v1/admin/schedules', {
      jobType: 'integrity-check',
      configId: null,
      recurrence: { kind: 'weekly', days: ['sun', 'wed'], time: '03:00' },
      timeZone: 'Europe/Berlin',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      configName: 'Archive integrity',
      description: 'Weekly on Wed, Sun at 03:00',
      enabled: true,
      lastRun: null,
    });
    expect(created.body.nextRunAt).toBeGreaterThan(Date.now());

    const started = await admin.post(`/api/v1/admin/schedules/${created.body.id}/run`);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ trigger: 'manual', schedule: { id: created.body.id } });
    const detail = await finished(started.body.id);
    expect(detail.run).toMatchObject({
      status: 'succeeded',
      severity: 'info',
      counters: { checked: 3, damaged: 0 },
    });
    expect(detail.entries.map((e: { message: string }) => e.message)).toEqual(['Started', 'Finished']);
    expect(detail.entries[0].runId).toBe(started.body.id);

    const schedule = (await admin.get(`/api/v1/admin/schedules/${created.body.id}`)).body;
    expect(schedule.lastRun).toMatchObject({ id: started.body.id, status: 'succeeded' });
    const listed = await admin.get(`/api/v1/admin/job-runs?requestId=${started.body.requestId}`);
    expect(listed.body.runs.map((r: { id: number }) => r.id)).toEqual([started.body.id]);

    // Disable, change, delete.
    const paused = await admin.patch(`/api/v1/admin/schedules/${created.body.id}`, { enabled: false });
    expect([paused.body.enabled, paused.body.nextRunAt]).toEqual([false, null]);
    const changed = await admin.patch(`/api/v1/admin/schedules/${created.body.id}`, {
      enabled: true,
      recurrence: { kind: 'monthly', day: 31, time: '01:15' },
    });
    expect(changed.body.description).toBe('Monthly on day 31 at 01:15 (last day in shorter months)');
    expect((await admin.delete(`/api/v1/admin/schedules/${created.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/v1/admin/schedules/${created.body.id}`)).status).toBe(404);
    // The run stays in the log after its schedule is gone.
    expect((await admin.get(`/api/v1/admin/job-runs/${started.body.id}`)).status).toBe(200);

    const auditor = await userWithRoles('audrey', ['auditor']);
    const actions = JSON.stringify((await auditor.get('/api/v1/audit?limit=50')).body);
    for (const action of ['schedule.create', 'schedule.run', 'schedule.update', 'schedule.delete'])
      expect(actions).toContain(action);
  });

  it('fails the integrity check on a damaged message, names it, and counts it on the dashboard', async () => {
    const victim = (await storedObjects(http.app.config.dataDir))[0]!;
    const bytes = readFileSync(victim.path);
    bytes[victim.offset + Math.floor(victim.length / 2)]! ^= 0x01;
    writeFileSync(victim.path, bytes);

    const run = await admin.post('/api/v1/admin/job-runs', { jobType: 'integrity-check', configId: null });
    expect(run.status).toBe(202);
    const detail = await finished(run.body.id);
    expect(detail.run).toMatchObject({
      status: 'failed',
      severity: 'error',
      counters: { checked: 3, damaged: 1 },
    });
    expect(detail.run.error).toMatch(/1 damaged or missing message/);
    const damaged = detail.entries.find((e: { message: string }) => e.message.startsWith('Damaged'));
    expect(damaged.details.locations[0]).toMatch(/^alice\/Inbox#\d+$/);

    const board = (await admin.get('/api/v1/admin/dashboard')).body;
    expect(board.jobs).toEqual({ running: 0, failed24h: 1 });
    const failed = await admin.get('/api/v1/admin/job-runs?minSeverity=error');
    expect(failed.body.runs.map((r: { id: number }) => r.id)).toEqual([run.body.id]);
  });

  it('lets auditors read runs but not start or cancel them; readers see nothing', async () => {
    const auditor = await userWithRoles('audrey', ['auditor']);
    const reader = await userWithRoles('rita', ['reader']);
    // With the runner stopped the run stays queued, so it can be cancelled and retriggered.
    await http.app.jobs.stop();
    const run = await admin.post('/api/v1/admin/job-runs', { jobType: 'integrity-check', configId: null });
    expect((await auditor.get('/api/v1/admin/job-runs')).body.runs).toHaveLength(1);
    expect((await auditor.get(`/api/v1/admin/job-runs/${run.body.id}`)).status).toBe(200);
    expect((await auditor.post(`/api/v1/admin/job-runs/${run.body.id}/cancel`)).status).toBe(403);
    expect(
      (await auditor.post('/api/v1/admin/job-runs', { jobType: 'integrity-check', configId: null })).status,
    ).toBe(403);
    expect((await auditor.get('/api/v1/admin/schedules')).status).toBe(403);
    expect((await reader.get('/api/v1/admin/job-runs')).status).toBe(403);

    const again = await admin.post('/api/v1/admin/job-runs', { jobType: 'integrity-check', configId: null });
    expect(again.body.status).toBe('skipped');
    const cancelled = await admin.post(`/api/v1/admin/job-runs/${run.body.id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await admin.post(`/api/v1/admin/job-runs/${run.body.id}/cancel`)).status).toBe(400);
  });

  it("gives the System console every tenant's runs, narrowed by tenant slug", async () => {
    const other = await http.tenantWithAdmin('globex');
    const ours = await admin.post('/api/v1/admin/job-runs', { jobType: 'integrity-check', configId: null });
    const theirs = await other.admin.post('/api/v1/admin/job-runs', {
      jobType: 'integrity-check',
      configId: null,
    });
    await finished(ours.body.id);
    const system = await http.systemClient();
    const all = (await system.get('/api/v1/system/job-runs')).body.runs;
    expect(all.map((r: { id: number; tenant: { slug: string } }) => [r.id, r.tenant.slug])).toEqual([
      [theirs.body.id, 'globex'],
      [ours.body.id, 'acme'],
    ]);
    const narrowed = (await system.get('/api/v1/system/job-runs?tenant=globex')).body.runs;
    expect(narrowed.map((r: { id: number }) => r.id)).toEqual([theirs.body.id]);
    expect((await system.get('/api/v1/system/job-runs?tenant=nobody')).body.runs).toEqual([]);
    expect((await system.get(`/api/v1/system/job-runs/${ours.body.id}`)).body.run.tenant.slug).toBe('acme');
    // A tenant admin has no System console session.
    expect((await admin.get('/api/v1/system/job-runs')).status).toBe(401);
    expect((await other.admin.get(`/api/v1/admin/job-runs/${ours.body.id}`)).status).toBe(404);
  });
});
