import { performance } from 'node:perf_hooks';
import { openApp } from '../app.js';
import { INTEGRITY_CHECK } from '../compliance/integrity-check.job.js';
import { loadConfig } from '../core/config.js';
import { JobQueue } from '../jobs/job-queue.js';
import { JobRunsRepository } from '../jobs/job-runs.repository.js';
import { ProcessLogRepository } from '../jobs/process-log.repository.js';
import { percentile } from './bench-util.js';

export interface JobFigures {
  messages: number;
  /** archive.verify called directly, and the same work as an integrity-check run. */
  directMsgPerSec: number;
  jobMsgPerSec: number;
  ratio: number;
  /** Runs of a job that does nothing: what the queue itself costs. */
  noopRuns: number;
  noopRunsPerSec: number;
  queuedToStartedP50Ms: number;
  queuedToStartedP95Ms: number;
}

const NOOP_RUNS = 1_000;
const LATENCY_RUNS = 200;

/**
 * The job runner's cost on an archived data folder: the integrity check as a job against calling
 * verify directly (same process, same data), and a no-op job's throughput and queue latency.
 */
export async function measureJobs(dataDir: string): Promise<JobFigures> {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'silent' } }),
    { workers: 0 },
  );
  try {
    const tenant = await app.tenants.findBySlug('default');
    const ctx = { tenantId: tenant.id };
    let t = performance.now();
    const direct = await app.archive.verify(ctx);
    const directSeconds = (performance.now() - t) / 1000;

    await app.jobs.start();
    const runs = new JobRunsRepository(app.database.db);
    t = performance.now();
    const run = await app.jobs.queue.enqueue({
      tenantId: tenant.id,
      jobType: INTEGRITY_CHECK,
      configId: null,
      configName: 'Archive integrity',
      trigger: 'manual',
    });
    await app.jobs.queue.whenIdle();
    const jobSeconds = (performance.now() - t) / 1000;
    const finished = (await runs.findById(run.id))!;
    if (finished.status !== 'succeeded') throw new Error(`integrity-check run ended ${finished.status}`);
    await app.jobs.stop();

    // A queue of its own with a job that does nothing, one configuration per run, 4 at a time.
    const queue = new JobQueue({
      runs,
      processLog: new ProcessLogRepository(app.database.db),
      logger: app.logger,
      pollMs: 50,
    });
    queue.register({ type: 'bench-noop', concurrency: 4, run: async () => undefined });
    await queue.start();
    t = performance.now();
    for (let i = 0; i < NOOP_RUNS; i += 1)
      await queue.enqueue({
        tenantId: tenant.id,
        jobType: 'bench-noop',
        configId: i + 1,
        configName: `noop ${i + 1}`,
        trigger: 'manual',
      });
    await queue.whenIdle();
    const noopSeconds = (performance.now() - t) / 1000;
    const noop = await runs.list({ tenantId: tenant.id, jobType: 'bench-noop', limit: NOOP_RUNS });
    if (noop.some((r) => r.status !== 'succeeded')) throw new Error('a no-op run did not succeed');
    // Latency on an idle queue: one run at a time, from enqueue to its start.
    const waits: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i += 1) {
      const queued = await queue.enqueue({
        tenantId: tenant.id,
        jobType: 'bench-noop',
        configId: 1,
        configName: 'noop 1',
        trigger: 'manual',
      });
      await queue.whenIdle();
      const started = (await runs.findById(queued.id))!;
      waits.push(started.started_at! - started.queued_at);
    }
    await queue.stop();

    const directMsgPerSec = direct.checked / directSeconds;
    const jobMsgPerSec = direct.checked / jobSeconds;
    return {
      messages: direct.checked,
      directMsgPerSec,
      jobMsgPerSec,
      ratio: jobMsgPerSec / directMsgPerSec,
      noopRuns: noop.length,
      noopRunsPerSec: noop.length / noopSeconds,
      queuedToStartedP50Ms: percentile(waits, 50),
      queuedToStartedP95Ms: percentile(waits, 95),
    };
  } finally {
    await app.close();
  }
}
