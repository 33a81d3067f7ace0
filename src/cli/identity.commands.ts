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

/**
 * `postvault system-admin`, `postvault gateway-admin` and `postvault tenant`: what the operator does
 * on the machine itself.
 */
export function registerIdentityCommands(program: Command, cli: CliContext): void {
  const consoles = [
    [
      'system-admin',
      'System administrators (who sign in to /system)',
      'system administrator',
      'systemAdmins',
    ],
    [
      'gateway-admin',
      'Gateway administrators (who sign in to /gateway)',
      'gateway administrator',
      'gatewayAdmins',
    ],
  ] as const;
  for (const [command, title, noun, service] of consoles) {
    const admins = program.command(command).description(title);
    for (const [name, description] of [
      ['add', `Add a ${noun}; prints the generated password once`],
      [
        'reset',
        `Give a ${noun} a new password (for a lost one); ends their sessions, turns off their second factor`,
      ],
    ] as const) {
      admins
        .command(`${name} <username>`)
        .description(description)
        .option('--password-stdin', 'read the password from standard input instead of generating one')
        .action(async (username: string, options: { passwordStdin?: boolean }) => {
          const password = options.passwordStdin ? await readStdin() : undefined;
          await cli.withApp(async (app) => {
            const result = await app[service].addOrReset(username, { password, mode: name }, OPERATOR);
            cli.out.write(
              `${result.created ? 'Added' : 'Reset'} ${noun} ${result.username}.\n` +
                (password ? '' : `Password (shown once): ${result.password}\n`),
            );
          });
        });
    }
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
