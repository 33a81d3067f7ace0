import type { ArchiveService } from '../archive/archive.service.js';
import type { JobHandler } from '../jobs/job-queue.js';
import type { JobConfigurations } from '../jobs/scheduler.js';

export const INTEGRITY_CHECK = 'integrity-check';
const CONFIGURATION_NAME = 'Archive integrity';

/**
 * Re-reads every stored message of the tenant (authentication tags, SHA-256 of the reassembled
 * bytes) and reports each damaged or missing one, with every place it is archived, in the process
 * log. The schedulable form of `postvault verify`; one configuration per tenant: its whole archive.
 */
export function integrityCheckJob(archive: Pick<ArchiveService, 'verify' | 'stats'>): JobHandler {
  return {
    type: INTEGRITY_CHECK,
    concurrency: 1,
    maxAttempts: 2,
    async run(ctx) {
      const tenant = { tenantId: ctx.tenantId! };
      const { distinctMessages: contents } = await archive.stats(tenant);
      ctx.progress(0, contents);
      const result = await archive.verify(tenant, (done) => {
        ctx.throwIfCancelled();
        ctx.progress(done, contents);
      });
      ctx.count('checked', result.checked);
      ctx.count('damaged', result.problems.length);
      for (const problem of result.problems)
        await ctx.log('error', `Damaged or missing: ${problem.problem}`, {
          contentId: problem.contentId,
          locations: problem.locations,
        });
      ctx.progress(result.checked, contents);
      // Damage must not pass as a success: a failed run shows on the dashboard.
      const damaged = result.problems.length;
      if (damaged > 0)
        throw new Error(`${damaged} damaged or missing message${damaged === 1 ? '' : 's'} (listed above)`);
    },
  };
}

export const integrityCheckConfigurations: JobConfigurations = {
  type: INTEGRITY_CHECK,
  list: async (tenantId) => (tenantId === null ? [] : [{ id: null, name: CONFIGURATION_NAME }]),
  nameOf: async (tenantId, configId) =>
    tenantId !== null && configId === null ? CONFIGURATION_NAME : undefined,
};
