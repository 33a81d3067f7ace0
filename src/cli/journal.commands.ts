import type { Command } from 'commander';
import type { App } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import type { JournalEndpointView } from '../ingest/journal/journal-endpoints.service.js';
import type { AuthContext } from '../tenancy/access.js';
import { formatMinute, operatorIn, tenantOption } from './cli.fns.js';
import type { CliContext } from './program.js';

async function endpointNamed(app: App, ctx: AuthContext, name: string): Promise<JournalEndpointView> {
  const endpoint = (await app.admin.journalEndpoints.list(ctx)).find((e) => e.name === name.trim());
  if (!endpoint) throw new NotFoundError(`there is no journal endpoint named ${name}`);
  return endpoint;
}

const formatTime = (ms: number | null) => formatMinute(ms, 'never');

/**
 * `postvault journal-endpoint`: the Admin Access page "Journal endpoints" for scripted set-ups.
 * The operator acts as the system; every change is in the tenant's audit log.
 */
export function registerJournalCommands(program: Command, cli: CliContext): void {
  const journal = program
    .command('journal-endpoint')
    .description('Journal endpoints: SMTP addresses that receive journal reports (Microsoft 365, Exchange)');

  journal
    .command('add')
    .description('Add a journal endpoint delivering into a journal mailbox; prints its SMTP address')
    .addOption(tenantOption())
    .requiredOption('--name <name>', 'name of the endpoint, e.g. "Microsoft 365"')
    .requiredOption('--mailbox <name>', 'journal archive mailbox (created when missing)')
    .addHelpText(
      'after',
      '\nPoint the journal rule of the mail system ("Send journal reports to") at the printed address.',
    )
    .action(async (opts: { tenant: string; name: string; mailbox: string }) => {
      await cli.withApp(async (app) => {
        const ctx = await operatorIn(app, opts.tenant);
        const existing = (await app.admin.mailboxes.list(ctx)).find((m) => m.name === opts.mailbox.trim());
        const endpoint = await app.admin.journalEndpoints.create(
          ctx,
          existing
            ? { name: opts.name, mailboxId: existing.id }
            : { name: opts.name, newMailbox: { name: opts.mailbox } },
        );
        cli.out.write(
          `Added journal endpoint ${endpoint.name} delivering into ` +
            `${existing ? 'the journal mailbox' : 'the new journal mailbox'} ${endpoint.mailbox.name}.\n` +
            `SMTP address: ${endpoint.address}\n`,
        );
      });
    });

  journal
    .command('list')
    .description('List journal endpoints with their addresses and the messages they received')
    .addOption(tenantOption())
    .option('--json', 'print JSON')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      await cli.withApp(async (app) => {
        const endpoints = await app.admin.journalEndpoints.list(await operatorIn(app, opts.tenant));
        if (opts.json) return void cli.out.write(`${JSON.stringify(endpoints, null, 2)}\n`);
        if (endpoints.length === 0) return void cli.out.write('No journal endpoints.\n');
        for (const e of endpoints) {
          cli.out.write(
            `${e.name.padEnd(24)} ${(e.enabled ? 'enabled' : 'disabled').padEnd(9)} ${e.address}  ` +
              `mailbox ${e.mailbox.name}  ${e.messages24h} in 24 h, ${e.messages30d} in 30 days, ` +
              `last ${formatTime(e.lastReceivedAt)}\n`,
          );
        }
      });
    });

  for (const [command, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    journal
      .command(`${command} <name>`)
      .description(
        enabled
          ? 'Enable a journal endpoint: its address accepts journal reports again'
          : 'Disable a journal endpoint: the intake will refuse its address (550) until it is enabled again',
      )
      .addOption(tenantOption())
      .action(async (name: string, opts: { tenant: string }) => {
        await cli.withApp(async (app) => {
          const ctx = await operatorIn(app, opts.tenant);
          const endpoint = await endpointNamed(app, ctx, name);
          await app.admin.journalEndpoints.update(ctx, endpoint.id, { enabled });
          cli.out.write(`${enabled ? 'Enabled' : 'Disabled'} journal endpoint ${endpoint.name}.\n`);
        });
      });
  }

  journal
    .command('regenerate-address <name>')
    .description('Give a journal endpoint a new SMTP address; the old one stops matching at once')
    .addOption(tenantOption())
    .action(async (name: string, opts: { tenant: string }) => {
      await cli.withApp(async (app) => {
        const ctx = await operatorIn(app, opts.tenant);
        const endpoint = await endpointNamed(app, ctx, name);
        const changed = await app.admin.journalEndpoints.regenerateAddress(ctx, endpoint.id);
        cli.out.write(`New SMTP address of ${changed.name}: ${changed.address}\n`);
      });
    });

  journal
    .command('remove <name>')
    .description('Remove a journal endpoint; its mailbox and the messages archived through it stay')
    .addOption(tenantOption())
    .action(async (name: string, opts: { tenant: string }) => {
      await cli.withApp(async (app) => {
        const ctx = await operatorIn(app, opts.tenant);
        const endpoint = await endpointNamed(app, ctx, name);
        await app.admin.journalEndpoints.delete(ctx, endpoint.id);
        cli.out.write(`Removed journal endpoint ${endpoint.name}.\n`);
      });
    });
}
