import type { Command } from 'commander';
import { SYSTEM_AUDIT_CHAIN } from '../compliance/audit-log.types.js';
import type { CliContext } from './program.js';

const verifyHelp = `
Every tenant has its own chain of audit entries, and the installation has one ("system"): each
entry holds the SHA-256 of the one before it, and the chain's last seq and hash are kept apart.
Reported, each with the entry concerned:
  edited         an entry was changed after it was written
  missing        entries were deleted from the middle of a chain
  reordered      entries were swapped, or one was rewritten together with its hash
  head-mismatch  entries were deleted from the end of a chain, or its head was changed
Without --tenant every chain is checked. Exit code 0 when every chain is intact, 1 when any
problem was found.`;

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function registerAuditCommands(program: Command, cli: CliContext): void {
  const audit = program.command('audit').description('The tamper-evident audit log');
  audit
    .command('verify')
    .description("Check that the audit log's hash chains are complete and unaltered")
    .option('--tenant <slug>', "only this tenant's chain (default: every chain, the system's included)")
    .option('--json', 'machine-readable output: { ok, chains: [{ tenantId, chain, entries, ok, problems }] }')
    .addHelpText('after', verifyHelp)
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      await cli.withApp(async (app) => {
        const service = app.audit;
        const tenantIds = opts.tenant ? [(await app.tenants.findBySlug(opts.tenant)).id] : undefined;
        const report = await service.verify({ tenantIds });
        const slugs = new Map((await app.tenants.listTenants()).map((t) => [t.id, t.slug]));
        const chainName = (tenantId: number) =>
          tenantId === SYSTEM_AUDIT_CHAIN
            ? 'system'
            : (slugs.get(tenantId) ?? `tenant ${tenantId} (no longer exists)`);

        if (opts.json) {
          const chains = report.chains.map((c) => ({ chain: chainName(c.tenantId), ...c }));
          cli.out.write(JSON.stringify({ ok: report.ok, chains }) + '\n');
        } else {
          for (const chain of report.chains) {
            const state = chain.ok ? 'intact' : count(chain.problems.length, 'problem', 'problems');
            cli.out.write(
              `${chainName(chain.tenantId)}: ${count(chain.entries, 'entry', 'entries')}, ${state}\n`,
            );
            for (const problem of chain.problems) cli.out.write(`  ${problem.kind}: ${problem.message}\n`);
          }
        }
        if (!report.ok) process.exitCode = 1;
      });
    });
}
