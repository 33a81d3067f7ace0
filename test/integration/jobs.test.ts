import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { TemporaryError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/db/schema.js';
import { JobQueue, TransientJobError, type JobContext, type JobHandler } from '../../src/jobs/job-queue.js';
import { JobRunsRepository } from '../../src/jobs/job-runs.repository.js';
import { JobRunsService } from '../../src/jobs/job-runs.service.js';
import { ProcessLogRepository } from '../../src/jobs/process-log.repository.js';
import { Scheduler, type JobConfigurations } from '../../src/jobs/scheduler.js';
import { SchedulesRepository } from '../../src/jobs/schedules.repository.js';
import { SchedulesService } from '../../src/jobs/schedules.service.js';
import { TenantRepository } from '../../src/tenancy/tenant.repository.js';
import type { AuthContext } from '../../src/tenancy/access.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A promise the test resolves when it wants a job to go on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('job queue, scheduler and job runs', () => {
  const dir = tempDir();
  let app: App;
  let acme: Tenant;
  let globex: Tenant;
  let runs: JobRunsRepository;
  let schedulesRepo: SchedulesRepository;
  let processLog: ProcessLogRepository;
  let queue: JobQueue;
  let now: number;
  /** Configurations of the test job type: "sync" 1 and 2 of each tenant; removed ones vanish. */
  let existing: Set<string>;
  const configurations: JobConfigurations = {
    type: 'sync',
    list: async (tenantId) =>
      [1, 2].filter((id) => existing.has(`${tenantId}:${id}`)).map((id) => ({ id, name: `Sync ${id}` })),
    nameOf: async (tenantId, configId) =>
      existing.has(`${tenantId}:${configId}`) ? `Sync ${configId}` : undefined,
  };
  const admin = (tenant: Tenant, roles: Array<'admin' | 'auditor' | 'reader'> = ['admin']): AuthContext => ({
    tenantId: tenant.id,
    actor: { kind: 'user', id: 1, name: `admin@${tenant.slug}`, roles },
  });

  /** A queue on the test's clock, or on the real one where back-off must pass (retries). */
  const newQueue = (handlers: JobHandler[], clock: () => number = () => now) => {
    const q = new JobQueue({ runs, processLog, logger: app.logger, clock, retryBaseMs: 20, pollMs: 20 });
    for (const handler of handlers) q.register(handler);
    return q;
  };
  const enqueue = (tenant: Tenant, configId = 1, trigger: 'manual' | 'schedule' = 'manual') =>
    queue.enqueue({
      tenantId: tenant.id,
      jobType: 'sync',
      configId,
      configName: `Sync ${configId}`,
      trigger,
    });
  const service = () =>
    new JobRunsService({
      runs,
      processLog,
      schedules: schedulesRepo,
      queue,
      configurations: (type) => (type === 'sync' ? configurations : undefined),
      configurationTypes: () => [configurations],
      tenants: new TenantRepository(app.database.db),
      audit: app.audit,
    });

  beforeEach(async () => {
    app = await openTempApp(dir.path + `/${Math.random().toString(36).slice(2)}`);
    acme = await app.tenants.createTenant('acme', 'Acme');
    globex = await app.tenants.createTenant('globex', 'Globex');
    runs = new JobRunsRepository(app.database.db);
    schedulesRepo = new SchedulesRepository(app.database.db);
    processLog = new ProcessLogRepository(app.database.db);
    now = Date.UTC(2026, 10, 24, 9, 0);
    existing = new Set([`${acme.id}:1`, `${acme.id}:2`, `${globex.id}:1`]);
  });

  afterEach(async () => {
    await queue?.stop();
    await app.close();
  });

  afterAll(() => dir.remove());

  it('runs a job with progress, counters and messages, and records the outcome', async () => {
    const seen: JobContext[] = [];
    queue = newQueue([
      {
        type: 'sync',
        async run(ctx) {
          seen.push(ctx);
          ctx.progress(1, 3, 'first folder');
          ctx.count('archived', 2);
          ctx.count('skipped');
          await ctx.log('info', 'Folder Inbox done');
        },
      },
    ]);
    await queue.start();
    const run = await enqueue(acme);
    expect(run.status).toBe('queued');
    await queue.whenIdle();

    const done = (await runs.findById(run.id))!;
    expect(done.status).toBe('succeeded');
    expect(done.severity).toBe('info');
    expect(JSON.parse(done.counters_json)).toEqual({ archived: 2, skipped: 1 });
    expect(seen[0]!.tenantId).toBe(acme.id);
    expect(seen[0]!.configName).toBe('Sync 1');
    const log = await processLog.listForRun(run.id, 100);
    expect(log.map((e) => e.message)).toEqual(['Started', 'Folder Inbox done', 'Finished']);
    expect(log.every((e) => e.tenant_id === acme.id && e.process === 'sync')).toBe(true);
  });

  it('ends "succeeded with warnings" when a run logs a warning, and raises its severity', async () => {
    queue = newQueue([{ type: 'sync', run: (ctx) => ctx.log('warning', 'one message was too large') }]);
    await queue.start();
    const run = await enqueue(acme);
    await queue.whenIdle();
    const done = (await runs.findById(run.id))!;
    expect([done.status, done.severity]).toEqual(['warnings', 'warning']);
  });

  it('records a second trigger of a running configuration as skipped, and never runs both', async () => {
    const release = gate();
    let concurrent = 0;
    let maxConcurrent = 0;
    queue = newQueue([
      {
        type: 'sync',
        concurrency: 4,
        async run() {
          concurrent += 1;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          await release.opened;
          concurrent -= 1;
        },
      },
    ]);
    await queue.start();
    const first = await enqueue(acme, 1);
    await until(async () => (await runs.findById(first.id))!.status === 'running', 'the first run');
    const second = await enqueue(acme, 1, 'schedule');
    expect(second.status).toBe('skipped');
    expect(second.error).toContain(first.request_id);
    // Another configuration of the same type may run alongside (concurrency 4).
    const other = await enqueue(acme, 2);
    await until(async () => (await runs.findById(other.id))!.status === 'running', 'the other configuration');
    // Two triggers at the same moment: one queues, one is skipped.
    const both = await Promise.all([enqueue(globex, 1), enqueue(globex, 1)]);
    expect(both.map((r) => r.status).sort()).toEqual(['queued', 'skipped']);
    // And the database itself refuses a second active run of a configuration.
    await expect(
      runs.insert({ ...both.find((r) => r.status === 'queued')!, id: undefined, request_id: 'second' }),
    ).rejects.toThrow(/UNIQUE/);
    await until(() => concurrent === 3, "globex's run beside acme's two");
    release.open();
    await queue.whenIdle();
    expect(maxConcurrent).toBe(3);
    expect((await runs.findById(first.id))!.status).toBe('succeeded');
    expect((await runs.findById(second.id))!.status).toBe('skipped');
  });

  it('keeps to the concurrency limit of a job type', async () => {
    const release = gate();
    let concurrent = 0;
    let maxConcurrent = 0;
    queue = newQueue([
      {
        type: 'sync',
        concurrency: 1,
        async run() {
          concurrent += 1;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          await release.opened;
          concurrent -= 1;
        },
      },
    ]);
    await queue.start();
    const a = await enqueue(acme, 1);
    const b = await enqueue(acme, 2);
    const c = await enqueue(globex, 1);
    await until(async () => (await runs.findById(a.id))!.status === 'running', 'the first run');
    await new Promise((r) => setTimeout(r, 100));
    expect((await runs.findById(b.id))!.status).toBe('queued');
    expect((await runs.findById(c.id))!.status).toBe('queued');
    release.open();
    await queue.whenIdle();
    expect(maxConcurrent).toBe(1);
    for (const run of [a, b, c]) expect((await runs.findById(run.id))!.status).toBe('succeeded');
  });

  it('cancels a running job cooperatively and a queued one at once', async () => {
    let units = 0;
    queue = newQueue([
      {
        type: 'sync',
        async run(ctx) {
          for (;;) {
            ctx.throwIfCancelled();
            units += 1;
            ctx.progress(units, null);
            await new Promise((r) => setTimeout(r, 5));
          }
        },
      },
    ]);
    await queue.start();
    const running = await enqueue(acme, 1);
    await until(() => units > 3, 'some work');
    const jobRuns = service();
    const asked = await jobRuns.cancel(admin(acme), running.id);
    expect(asked.cancelRequested).toBe(true);
    await until(async () => (await runs.findById(running.id))!.status === 'cancelled', 'the cancel');
    const messages = (await processLog.listForRun(running.id, 100)).map((e) => e.message);
    expect(messages.at(-1)).toBe('Cancelled');

    // A queued run (its type is busy with another configuration) is cancelled without starting.
    const busy = await enqueue(acme, 1);
    await until(async () => (await runs.findById(busy.id))!.status === 'running', 'the busy run');
    const waiting = await enqueue(acme, 2);
    expect((await jobRuns.cancel(admin(acme), waiting.id)).status).toBe('cancelled');
    await jobRuns.cancel(admin(acme), busy.id);
    await queue.whenIdle();
    expect((await runs.findById(waiting.id))!.started_at).toBeNull();
    await expect(jobRuns.cancel(admin(acme), waiting.id)).rejects.toThrow(/already ended/);
  });

  it('retries transient failures with back-off and fails permanent ones', async () => {
    let attempts = 0;
    queue = newQueue(
      [
        {
          type: 'sync',
          maxAttempts: 3,
          async run(ctx) {
            attempts += 1;
            if (ctx.configId === 1 && attempts < 3) throw new TemporaryError('the server said 451');
            if (ctx.configId === 2) throw new Error('the folder does not exist');
          },
        },
      ],
      Date.now,
    );
    await queue.start();
    const flaky = await enqueue(acme, 1);
    await until(async () => (await runs.findById(flaky.id))!.status === 'succeeded', 'the retried run');
    const done = (await runs.findById(flaky.id))!;
    expect(done.attempt).toBe(3);
    const messages = (await processLog.listForRun(flaky.id, 100)).map((e) => e.message);
    expect(messages.filter((m) => m.startsWith('Attempt'))).toHaveLength(2);
    expect(messages).toContain('Started (attempt 3)');

    const broken = await enqueue(acme, 2);
    await queue.whenIdle();
    const failed = (await runs.findById(broken.id))!;
    expect([failed.status, failed.attempt, failed.severity]).toEqual(['failed', 1, 'error']);
    expect(failed.error).toBe('the folder does not exist');

    // A transient failure that keeps failing ends as failed after maxAttempts.
    const stubborn = newQueue(
      [
        {
          type: 'sync',
          maxAttempts: 2,
          run: async () => {
            throw new TransientJobError('still down');
          },
        },
      ],
      Date.now,
    );
    await queue.stop();
    queue = stubborn;
    await queue.start();
    const down = await enqueue(globex, 1);
    await until(async () => (await runs.findById(down.id))!.status === 'failed', 'the last attempt');
    expect((await runs.findById(down.id))!.attempt).toBe(2);
  });

  it('counts each attempt from zero, and ends cancelled when a cancel meets a failing attempt', async () => {
    let attempts = 0;
    const failing = gate();
    queue = newQueue(
      [
        {
          type: 'sync',
          maxAttempts: 3,
          async run(ctx) {
            attempts += 1;
            ctx.count('archived', 5);
            if (ctx.configId === 1 && attempts === 1) throw new TemporaryError('the server said 451');
            if (ctx.configId === 2) {
              await failing.opened;
              throw new TemporaryError('still 451');
            }
          },
        },
      ],
      Date.now,
    );
    await queue.start();
    const retried = await enqueue(acme, 1);
    await until(async () => (await runs.findById(retried.id))!.status === 'succeeded', 'the retried run');
    expect(JSON.parse((await runs.findById(retried.id))!.counters_json)).toEqual({ archived: 5 });

    // The cancel lands while the attempt is failing: cancelled, not queued again with the cancel flag.
    const doomed = await enqueue(acme, 2);
    await until(async () => (await runs.findById(doomed.id))!.status === 'running', 'the doomed run');
    await runs.requestCancel(acme.id, doomed.id, Date.now());
    failing.open();
    await until(async () => (await runs.findById(doomed.id))!.status === 'cancelled', 'the cancel');
    // And the configuration is free again.
    expect((await enqueue(acme, 2)).status).toBe('queued');
  });

  it('cancels at start-up a run whose cancel was asked for before the process died', async () => {
    const orphan = await runs.insert({
      tenant_id: acme.id,
      request_id: 'cancelled-orphan',
      job_type: 'sync',
      config_id: 1,
      config_name: 'Sync 1',
      trigger: 'manual',
      schedule_id: null,
      status: 'running',
      not_before: now,
      queued_at: now,
      started_at: now,
      finished_at: null,
      retried_from: null,
      error: null,
      cancel_requested: 1,
    });
    queue = newQueue([{ type: 'sync', run: async () => undefined }]);
    await queue.start();
    expect((await runs.findById(orphan.id))!.status).toBe('cancelled');
    expect(await runs.list({ tenantId: acme.id, limit: 10 })).toHaveLength(1);
  });

  it('marks runs of a dead process interrupted and re-queues each once', async () => {
    // What a process killed mid-run leaves behind: a row still 'running'.
    const orphan = await runs.insert({
      tenant_id: acme.id,
      request_id: 'orphan',
      job_type: 'sync',
      config_id: 1,
      config_name: 'Sync 1',
      trigger: 'schedule',
      schedule_id: null,
      status: 'running',
      not_before: now,
      queued_at: now,
      started_at: now,
      finished_at: null,
      retried_from: null,
      error: null,
    });
    queue = newQueue([
      {
        type: 'sync',
        async run(ctx) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          ctx.throwIfCancelled();
        },
      },
    ]);
    await queue.start();
    expect((await runs.findById(orphan.id))!.status).toBe('interrupted');
    const requeued = (await runs.list({ tenantId: acme.id, limit: 10 })).find(
      (r) => r.retried_from === orphan.id,
    )!;
    expect(requeued.trigger).toBe('restart');
    await until(async () => (await runs.findById(requeued.id))!.status === 'running', 'the re-queued run');

    // The re-queued run dies too: interrupted, and not queued a third time.
    await queue.stop();
    await app.database.db
      .updateTable('job_runs')
      .set({ status: 'running' })
      .where('id', '=', requeued.id)
      .execute();
    queue = newQueue([{ type: 'sync', run: async () => undefined }]);
    await queue.start();
    await queue.whenIdle();
    expect((await runs.findById(requeued.id))!.status).toBe('interrupted');
    const all = await runs.list({ tenantId: acme.id, limit: 10 });
    expect(all.map((r) => r.status).sort()).toEqual(['interrupted', 'interrupted']);
  });

  it('puts a run that was running at shutdown back in the queue', async () => {
    queue = newQueue([
      {
        type: 'sync',
        async run(ctx) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          ctx.throwIfCancelled();
        },
      },
    ]);
    await queue.start();
    const run = await enqueue(acme);
    await until(async () => (await runs.findById(run.id))!.status === 'running', 'the run');
    await queue.stop();
    expect((await runs.findById(run.id))!.status).toBe('queued');
  });

  describe('scheduler', () => {
    let scheduler: Scheduler;
    let schedules: SchedulesService;

    beforeEach(() => {
      queue = newQueue([{ type: 'sync', run: async () => undefined }]);
      const lookup = (type: string) => (type === 'sync' ? configurations : undefined);
      scheduler = new Scheduler({
        schedules: schedulesRepo,
        queue,
        runs,
        configurations: lookup,
        logger: app.logger,
        clock: () => now,
        retentionDays: 90,
      });
      schedules = new SchedulesService({
        schedules: schedulesRepo,
        runs,
        queue,
        poke: () => scheduler.poke(),
        configurations: lookup,
        audit: app.audit,
        clock: () => now,
      });
    });

    const runsOf = async (tenant: Tenant) => runs.list({ tenantId: tenant.id, limit: 100 });

    it('enqueues a due schedule once and moves it to the next occurrence', async () => {
      const daily = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'daily', time: '10:30' },
        timeZone: 'Europe/Berlin',
      });
      // 10:30 in Berlin on 2026-11-24 is 09:30 UTC.
      expect(daily.nextRunAt).toBe(Date.UTC(2026, 10, 24, 9, 30));
      await scheduler.tick();
      expect(await runsOf(acme)).toHaveLength(0);
      now = Date.UTC(2026, 10, 24, 9, 30);
      await scheduler.tick();
      await scheduler.tick();
      const queued = await runsOf(acme);
      expect(queued).toHaveLength(1);
      expect([queued[0]!.trigger, queued[0]!.schedule_id]).toEqual(['schedule', daily.id]);
      const after = await schedules.get(admin(acme), daily.id);
      expect(after.nextRunAt).toBe(Date.UTC(2026, 10, 25, 9, 30));
      expect(after.lastRun?.id).toBe(queued[0]!.id);
    });

    it('runs occurrences missed while the server was down once, not once per slot', async () => {
      const every15 = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'minutes', every: 15 },
        timeZone: 'UTC',
      });
      expect(every15.nextRunAt).toBe(now + 15 * MINUTE);
      // Down for 10 hours: 40 slots missed.
      now += 10 * 60 * MINUTE + 7 * MINUTE;
      await scheduler.tick();
      expect(await runsOf(acme)).toHaveLength(1);
      expect((await schedules.get(admin(acme), every15.id)).nextRunAt).toBe(Date.UTC(2026, 10, 24, 19, 15));
    });

    it('fires a once schedule one time, and refuses one less than a minute ahead', async () => {
      await expect(
        schedules.create(admin(acme), {
          jobType: 'sync',
          configId: 1,
          recurrence: { kind: 'once', at: '2026-11-24T09:00' },
          timeZone: 'UTC',
        }),
      ).rejects.toThrow(/at least 1 minute in the future/);
      const once = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'once', at: '2026-11-24T09:01' },
        timeZone: 'UTC',
      });
      now += MINUTE;
      await scheduler.tick();
      now += DAY;
      await scheduler.tick();
      expect(await runsOf(acme)).toHaveLength(1);
      expect((await schedules.get(admin(acme), once.id)).nextRunAt).toBeNull();
      // Enabling it again needs a new time: the old one has passed.
      await expect(schedules.update(admin(acme), once.id, { enabled: true })).rejects.toThrow(
        /at least 1 minute in the future/,
      );
    });

    it('does not fire a disabled schedule, and disabling does not stop a running job', async () => {
      const release = gate();
      await queue.stop();
      queue = newQueue([{ type: 'sync', run: () => release.opened }]);
      scheduler = new Scheduler({
        schedules: schedulesRepo,
        queue,
        runs,
        configurations: () => configurations,
        logger: app.logger,
        clock: () => now,
        retentionDays: 90,
      });
      await queue.start();
      const hourly = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'hourly', minute: 5 },
        timeZone: 'UTC',
      });
      now = Date.UTC(2026, 10, 24, 9, 5);
      await scheduler.tick();
      const [run] = await runsOf(acme);
      await until(async () => (await runs.findById(run!.id))!.status === 'running', 'the scheduled run');
      await schedules.update(admin(acme), hourly.id, { enabled: false });
      now = Date.UTC(2026, 10, 24, 12, 5);
      await scheduler.tick();
      expect(await runsOf(acme)).toHaveLength(1);
      expect((await runs.findById(run!.id))!.status).toBe('running');
      release.open();
      await queue.whenIdle();
      expect((await runs.findById(run!.id))!.status).toBe('succeeded');
      // Enabled again, it continues from now, not from the missed hours.
      const resumed = await schedules.update(admin(acme), hourly.id, { enabled: true });
      expect(resumed.nextRunAt).toBe(Date.UTC(2026, 10, 24, 13, 5));
    });

    it('"Run now" enqueues at once, and stops a schedule whose configuration is gone', async () => {
      const daily = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 2,
        recurrence: { kind: 'daily', time: '23:00' },
        timeZone: 'UTC',
      });
      const run = await schedules.runNow(admin(acme), daily.id);
      expect([run.status, run.trigger]).toEqual(['queued', 'manual']);
      existing.delete(`${acme.id}:2`);
      now = Date.UTC(2026, 10, 24, 23, 0);
      await scheduler.tick();
      expect(await runsOf(acme)).toHaveLength(1);
      const stopped = await schedules.get(admin(acme), daily.id);
      expect([stopped.enabled, stopped.configName]).toEqual([false, null]);
    });

    it('keeps firing the other schedules when one is broken, and retries it a minute later', async () => {
      const good = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'daily', time: '10:00' },
        timeZone: 'UTC',
      });
      const broken = await schedules.create(admin(globex), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'daily', time: '09:30' },
        timeZone: 'UTC',
      });
      const original = configurations.nameOf;
      configurations.nameOf = async (tenantId, configId) => {
        if (tenantId === globex.id) throw new Error('the directory is unreachable');
        return original(tenantId, configId);
      };
      try {
        now = Date.UTC(2026, 10, 24, 10, 0);
        await scheduler.tick();
      } finally {
        configurations.nameOf = original;
      }
      expect((await runsOf(acme)).map((r) => r.schedule_id)).toEqual([good.id]);
      expect((await schedules.get(admin(globex), broken.id)).nextRunAt).toBe(now + MINUTE);
    });

    it("keeps an admin's change made while the schedule fires", async () => {
      const hourly = await schedules.create(admin(acme), {
        jobType: 'sync',
        configId: 1,
        recurrence: { kind: 'hourly', minute: 0 },
        timeZone: 'UTC',
      });
      const original = configurations.nameOf;
      // The admin disables it between the scheduler reading it and writing its next occurrence.
      let edited = false;
      configurations.nameOf = async (tenantId, configId) => {
        if (!edited) {
          edited = true;
          now += 1;
          await schedules.update(admin(acme), hourly.id, { enabled: false });
        }
        return original(tenantId, configId);
      };
      try {
        now = Date.UTC(2026, 10, 24, 10, 0);
        await scheduler.tick();
      } finally {
        configurations.nameOf = original;
      }
      const after = await schedules.get(admin(acme), hourly.id);
      expect(after.enabled).toBe(false);
      expect(after.lastRun).not.toBeNull();
    });

    it('prunes finished runs and process-log entries after the retention period', async () => {
      const old = await enqueue(acme);
      await runs.finish(old.id, 'succeeded', now, {}, null);
      await processLog.append([
        {
          tenantId: acme.id,
          process: 'sync',
          subjectId: 1,
          subjectName: 'Sync 1',
          severity: 'info',
          message: 'old',
          at: now,
        },
      ]);
      const ended = {
        tenant_id: acme.id,
        purpose: 'resend' as const,
        mail_from: '',
        recipients_json: '[]',
        message_sealed: Buffer.alloc(0),
        size: 0,
        not_before: now,
        last_error: null,
        transport: 'system-smtp',
        requested_by: 'x',
        created_at: now,
      };
      await app.database.db
        .insertInto('outgoing_mail')
        .values([
          { ...ended, status: 'sent', finished_at: now },
          { ...ended, status: 'queued', finished_at: null },
        ])
        .execute();
      now += 91 * DAY;
      const fresh = await enqueue(acme);
      await scheduler.tick();
      const left = await runsOf(acme);
      expect(left.map((r) => r.id)).toEqual([fresh.id]);
      expect(await processLog.list(acme.id, { limit: 10 })).toHaveLength(0);
      // Ended outgoing mail goes too; queued mail stays.
      const mail = await app.database.db.selectFrom('outgoing_mail').select('status').execute();
      expect(mail.map((m) => m.status)).toEqual(['queued']);
    });
  });

  describe('tenant scoping', () => {
    it("shows, reads and cancels only the caller's tenant's runs; the system console sees all", async () => {
      queue = newQueue([]);
      const ours = await enqueue(acme);
      const theirs = await enqueue(globex);
      const jobRuns = service();
      const listed = await jobRuns.list(admin(acme));
      expect(listed.runs.map((r) => r.id)).toEqual([ours.id]);
      await expect(jobRuns.get(admin(acme), theirs.id)).rejects.toThrow(/does not exist/);
      await expect(jobRuns.cancel(admin(acme), theirs.id)).rejects.toThrow(/does not exist/);
      expect((await runs.findById(theirs.id))!.status).toBe('queued');

      // Auditors read, only admins cancel; readers do neither.
      expect((await jobRuns.get(admin(acme, ['auditor']), ours.id)).run.requestId).toBe(ours.request_id);
      await expect(jobRuns.cancel(admin(acme, ['auditor']), ours.id)).rejects.toThrow(/admin role/);
      await expect(jobRuns.list(admin(acme, ['reader']))).rejects.toThrow(/admin or auditor/);

      const system: AuthContext = {
        tenantId: acme.id,
        actor: { kind: 'system-admin', id: 1, name: 'admin' },
      };
      const all = await jobRuns.listAll(system);
      expect(all.runs.map((r) => [r.id, r.tenant?.slug])).toEqual([
        [theirs.id, 'globex'],
        [ours.id, 'acme'],
      ]);
      expect((await jobRuns.listAll(system, { tenantId: globex.id })).runs.map((r) => r.id)).toEqual([
        theirs.id,
      ]);
      await expect(jobRuns.listAll(admin(acme))).rejects.toThrow(/system administrators/);
      expect((await jobRuns.cancelAny(system, theirs.id)).status).toBe('cancelled');
    });

    it('filters by type, request id, status, severity and time, with cursor paging', async () => {
      queue = newQueue([]);
      const created = [];
      for (let i = 0; i < 5; i += 1) {
        now += MINUTE;
        created.push(await enqueue(acme, 1 + (i % 2)));
        if (i % 2 === 0) await runs.finish(created.at(-1)!.id, 'failed', now, {}, 'broken');
      }
      await runs.raiseSeverity(created[0]!.id, 'error');
      await runs.raiseSeverity(created[1]!.id, 'warning');
      const jobRuns = service();
      const ids = async (filters: Parameters<JobRunsService['list']>[1]) =>
        (await jobRuns.list(admin(acme), filters)).runs.map((r) => r.id);
      expect(await ids({ requestId: created[3]!.request_id })).toEqual([created[3]!.id]);
      expect(await ids({ minSeverity: 'warning' })).toEqual([created[1]!.id, created[0]!.id]);
      expect(await ids({ minSeverity: 'error' })).toEqual([created[0]!.id]);
      expect(await ids({ jobType: 'other' })).toEqual([]);
      expect(await ids({ status: 'failed' })).toEqual([created[4]!.id, created[2]!.id, created[0]!.id]);
      expect(await ids({ since: created[2]!.queued_at, until: created[4]!.queued_at })).toEqual([
        created[3]!.id,
        created[2]!.id,
      ]);
      const first = await jobRuns.list(admin(acme), { limit: 2 });
      expect(first.runs.map((r) => r.id)).toEqual([created[4]!.id, created[3]!.id]);
      const second = await jobRuns.list(admin(acme), { limit: 2, before: first.nextCursor! });
      expect(second.runs.map((r) => r.id)).toEqual([created[2]!.id, created[1]!.id]);
    });
  });
});
