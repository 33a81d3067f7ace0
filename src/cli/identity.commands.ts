import type { Command } from 'commander';
import { OPERATOR } from './cli.fns.js';
import type { CliContext } from './program.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `postvault system-admin` and `postvault tenant`: what the operator does on the machine itself. */
export function registerIdentityCommands(program: Command, cli: CliContext): void {
  const systemAdmin = program
    .command('system-admin')
    .description('System administrators (who sign in to /system)');
  for (const [name, description] of [
    ['add', 'Add a system administrator; prints the generated password once'],
    [
      'reset',
      'Give a system administrator a new password; ends their sessions, turns off their second factor',
    ],
  ] as const) {
    systemAdmin
      .command(`${name} <username>`)
      .description(description)
      .option('--password-stdin', 'read the password from standard input instead of generating one')
      .action(async (username: string, options: { passwordStdin?: boolean }) => {
        const password = options.passwordStdin ? await readStdin() : undefined;
        await cli.withApp(async (app) => {
          const result = await app.systemAdmins.addOrReset(username, { password, mode: name }, OPERATOR);
          cli.out.write(
            `${result.created ? 'Added' : 'Reset'} system administrator ${result.username}.\n` +
              (password ? '' : `Password (shown once): ${result.password}\n`),
          );
        });
      });
  }

  const tenant = program.command('tenant').description('Tenants (customers), as in the System console');
  tenant
    .command('list')
    .description('List tenants with their status and usage')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await cli.withApp(async (app) => {
        const tenants = await app.tenantManagement.list({ tenantId: 0, actor: OPERATOR });
        if (options.json) return void cli.out.write(`${JSON.stringify(tenants, null, 2)}\n`);
        for (const t of tenants) {
          cli.out.write(
            `${t.slug.padEnd(24)} ${t.status.padEnd(10)} ${String(t.usage.users).padStart(5)} users ` +
              `${String(t.usage.messages).padStart(9)} messages  ${t.name}\n`,
          );
        }
      });
    });
  tenant
    .command('create <slug> <name>')
    .description('Create a tenant with its admin admin@<slug>; prints the password once')
    .action(async (slug: string, name: string) => {
      await cli.withApp(async (app) => {
        const created = await app.tenantManagement.create({ tenantId: 0, actor: OPERATOR }, { slug, name });
        cli.out.write(
          `Created tenant ${created.tenant.slug} (id ${created.tenant.id}).\n` +
            `Admin Access: sign in as ${created.admin.login}\nPassword (shown once): ${created.admin.password}\n`,
        );
      });
    });
}
