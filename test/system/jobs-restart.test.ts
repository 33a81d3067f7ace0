/* eslint-disable @typescript-eslint/no-explicit-any -- answers are untyped JSON that the test inspects freely */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startServe } from '../support/server-process.js';
import { stageSpamAssassin } from '../support/spamassassin.js';
import { tempDir } from '../support/temp-app.js';

/** A signed-in tenant admin talking to a served process over real HTTP. */
async function signIn(url: string, login: string, password: string) {
  const answer = await fetch(`${url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  if (answer.status !== 200) throw new Error(`sign-in failed: ${answer.status} ${await answer.text()}`);
  const cookie = answer.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await answer.json()) as { csrfToken: string };
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
  };
}

/**
 * kill -9 of `postvault serve` while a job runs: at the next start the run is marked interrupted and
 * queued once more (trigger "restart"), and the re-run does the whole work exactly once.
 */
describe('a job running when the server is killed', () => {
  const data = tempDir('postvault-jobs-');
  const staged = tempDir('postvault-sa-');
  let password: string;
  let messages: number;

  beforeAll(() => {
    stageSpamAssassin(staged.path);
    const created = runCli(data.path, ['tenant', 'create', 'acme', 'Acme']);
    expect(created.status).toBe(0);
    password = /Password \(shown once\): (\S+)/.exec(created.stdout)![1]!;
    const imported = runCli(data.path, ['import', '--tenant', 'acme', '--mailbox', 'sa', staged.path]);
    expect(imported.status).toBe(0);
    messages = Number(/(\d+) new/.exec(imported.stdout)![1]);
    expect(messages).toBeGreaterThan(5_000);
  }, 180_000);

  afterAll(() => {
    data.remove();
    staged.remove();
  });

  it('is marked interrupted, re-queued once, and the re-run checks every message once', async () => {
    const first = await startServe({}, { dataDir: data.path });
    let runId: number;
    try {
      const admin = await signIn(first.url, 'admin@acme', password);
      const started = await admin.post('/api/v1/admin/job-runs', {
        jobType: 'integrity-check',
        configId: null,
      });
      runId = started.id;
      // Killed once it has checked a part of the archive: the progress written is proof it was mid-run.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { run } = await admin.get(`/api/v1/admin/job-runs/${runId}`);
        if (run.status === 'running' && (run.progress?.done ?? 0) > 0) {
          expect(run.progress.done).toBeLessThan(messages);
          break;
        }
        expect(['queued', 'running']).toContain(run.status);
        if (Date.now() > deadline) throw new Error(`the run did not get going: ${JSON.stringify(run)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await first.kill();
    }

    const second = await startServe({}, { dataDir: data.path });
    try {
      const admin = await signIn(second.url, 'admin@acme', password);
      const interrupted = await admin.get(`/api/v1/admin/job-runs/${runId!}`);
      expect(interrupted.run.status).toBe('interrupted');
      expect(interrupted.entries.map((e: any) => e.message)).toContain(
        'Interrupted: the process stopped while this run was running; queued once more',
      );
      let rerun: any;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { runs } = await admin.get('/api/v1/admin/job-runs');
        rerun = runs.find((r: any) => r.retriedFrom?.id === runId!);
        if (rerun && !['queued', 'running'].includes(rerun.status)) break;
        if (Date.now() > deadline) throw new Error(`the re-run did not finish: ${JSON.stringify(runs)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(rerun).toMatchObject({
        trigger: 'restart',
        status: 'succeeded',
        counters: { checked: messages, damaged: 0 },
      });
      const detail = await admin.get(`/api/v1/admin/job-runs/${rerun.id}`);
      expect(detail.entries.map((e: any) => e.message)).toEqual(['Started', 'Finished']);
      // Exactly these two runs: the interrupted one and its one re-run.
      const { runs } = await admin.get('/api/v1/admin/job-runs');
      expect(runs.map((r: any) => [r.id, r.status])).toEqual([
        [rerun.id, 'succeeded'],
        [runId!, 'interrupted'],
      ]);
    } finally {
      await second.stop();
    }
  }, 300_000);
});
