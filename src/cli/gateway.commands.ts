import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import type { GatewayMailboxView } from '../gateway/gateway.service.js';
import { formatMinute, OPERATOR } from './cli.fns.js';
import type { CliContext } from './program.js';

/** The environment variable a script gives the current mailbox password in (reset-password). */
export const GATEWAY_PASSWORD_ENV = 'POSTVAULT_GATEWAY_PASSWORD';

const ctx = { actor: OPERATOR };

/** One line from the terminal, not echoed; or the first line of standard input when it is not one. */
export async function readSecret(prompt: string, err: NodeJS.WritableStream): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const terminal = process.stdin.isTTY === true;
  if (terminal) err.write(prompt);
  const rl = createInterface({ input: process.stdin, output: terminal ? muted : undefined, terminal });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
    if (terminal) err.write('\n');
  }
}

/** Asks to type the mailbox name before something that cannot be undone, unless --yes was given. */
async function confirm(
  cli: CliContext,
  mailbox: GatewayMailboxView,
  what: string,
  yes: boolean | undefined,
): Promise<void> {
  if (yes) return;
  if (process.stdin.isTTY !== true)
    throw new ValidationError(`${what} cannot be undone: add --yes to confirm it without a terminal`);
  cli.err.write(`${what} cannot be undone. Type the mailbox name (${mailbox.name}) to go on: `);
  const rl = createInterface({ input: process.stdin, terminal: false });
  let answer = '';
  for await (const line of rl) {
    answer = line;
    break;
  }
  rl.close();
  if (answer.trim() !== mailbox.name) throw new ValidationError('not confirmed; nothing was changed');
}

const describe = (m: GatewayMailboxView) =>
  `${m.name.padEnd(24)} ${m.status.padEnd(9)} ${m.address}  ${m.messages} messages, ${m.bytes} bytes, ` +
  `last received ${formatMinute(m.lastReceivedAt, 'never')}` +
  (m.unreadableMessages > 0 ? `, ${m.unreadableMessages} unreadable (purge-unreadable)` : '');

const passwordNote =
  'Password (shown once; it is not stored anywhere and is the only way to read this mailbox):';

/**
 * `postvault gateway mailbox`: gateway mailboxes for scripted set-ups, as the gateway console will
 * manage them. The operator acts as the system; every change is in the system audit log.
 */
export function registerGatewayCommands(program: Command, cli: CliContext): void {
  const gateway = program
    .command('gateway')
    .description('Gateway: encrypted mailboxes that take mail over SMTP and give it out over POP3');
  const mailbox = gateway.command('mailbox').description('Gateway mailboxes');

  mailbox
    .command('create')
    .description('Create a gateway mailbox; prints its SMTP address and its password (once)')
    .requiredOption('--name <name>', 'name, e.g. "Office 365 Journal"')
    .option('--description <text>', 'what the mailbox is for')
    .option('--json', 'print JSON: id, name, address, password')
    .addHelpText(
      'after',
      '\nKeep the password in a safe place: Postvault does not store it, and without it the mail in\n' +
        'the mailbox can never be read. POP3 user name: the address; password: this password.',
    )
    .action(async (opts: { name: string; description?: string; json?: boolean }) => {
      await cli.withApp(async (app) => {
        const { mailbox: created, password } = await app.gateway.service.create(ctx, {
          name: opts.name,
          description: opts.description,
        });
        if (opts.json) {
          const { id, name, address } = created;
          return void cli.out.write(`${JSON.stringify({ id, name, address, password }, null, 2)}\n`);
        }
        cli.out.write(
          `Created gateway mailbox ${created.name}.\nSMTP address: ${created.address}\n${passwordNote} ${password}\n`,
        );
      });
    });

  mailbox
    .command('list')
    .description('List gateway mailboxes with their addresses, status and what they hold')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await cli.withApp(async (app) => {
        const mailboxes = await app.gateway.service.list(ctx);
        if (opts.json) return void cli.out.write(`${JSON.stringify(mailboxes, null, 2)}\n`);
        if (mailboxes.length === 0) return void cli.out.write('No gateway mailboxes.\n');
        for (const m of mailboxes) cli.out.write(`${describe(m)}\n`);
      });
    });

  for (const [command, description] of [
    ['suspend', 'Suspend a mailbox: its SMTP address answers 450 (senders retry later) until resumed'],
    ['resume', 'Resume a suspended mailbox: its address takes mail again'],
  ] as const) {
    mailbox
      .command(`${command} <mailbox>`)
      .description(description)
      .action(async (ref: string) => {
        await cli.withApp(async (app) => {
          const found = await app.gateway.service.find(ctx, ref);
          const changed =
            command === 'suspend'
              ? await app.gateway.service.suspend(ctx, found.id)
              : await app.gateway.service.resume(ctx, found.id);
          cli.out.write(
            `${command === 'suspend' ? 'Suspended' : 'Resumed'} gateway mailbox ${changed.name}.\n`,
          );
        });
      });
  }

  mailbox
    .command('delete <mailbox>')
    .description('Delete a mailbox (name or address) and destroy everything in it')
    .option('--yes', 'do not ask for confirmation')
    .action(async (ref: string, opts: { yes?: boolean }) => {
      await cli.withApp(async (app) => {
        const found = await app.gateway.service.find(ctx, ref);
        await confirm(cli, found, `Deleting ${found.name} and its ${found.messages} messages`, opts.yes);
        await app.gateway.service.delete(ctx, found.id);
        cli.out.write(`Deleted gateway mailbox ${found.name} and its ${found.messages} messages.\n`);
      });
    });

  mailbox
    .command('reset-password <mailbox>')
    .description('Give a mailbox a new password; prints it once')
    .option(
      '--forget-content',
      'without the current password: make a new key; the mail in the mailbox can then never be read',
    )
    .option('--yes', 'with --forget-content: do not ask for confirmation')
    .addHelpText(
      'after',
      `\nThe current password is read from ${GATEWAY_PASSWORD_ENV}, or else asked for (standard input\n` +
        'when it is not a terminal); with it the content stays readable under the new password.',
    )
    .action(async (ref: string, opts: { forgetContent?: boolean; yes?: boolean }) => {
      await cli.withApp(async (app) => {
        const found = await app.gateway.service.find(ctx, ref);
        let currentPassword: string | undefined;
        if (opts.forgetContent) {
          await confirm(
            cli,
            found,
            `Resetting without the password makes the ${found.messages} messages of ${found.name} unreadable; this`,
            opts.yes,
          );
        } else {
          currentPassword =
            process.env[GATEWAY_PASSWORD_ENV] ||
            (await readSecret(`Current password of ${found.name}: `, cli.err));
          if (!currentPassword)
            throw new ValidationError(
              `the current password is needed (or --forget-content to give up the mail in the mailbox)`,
            );
        }
        const reset = await app.gateway.service.resetPassword(ctx, found.id, { currentPassword });
        cli.out.write(
          `New password for gateway mailbox ${reset.mailbox.name}` +
            (reset.contentKept
              ? ' (its mail stays readable with it).\n'
              : `; the ${reset.mailbox.unreadableMessages} messages it held can no longer be read ` +
                '(postvault gateway mailbox purge-unreadable removes them).\n') +
            `${passwordNote} ${reset.password}\n`,
        );
      });
    });

  mailbox
    .command('purge-unreadable <mailbox>')
    .description('Remove the messages left unreadable by a password reset without the old password')
    .option('--yes', 'do not ask for confirmation')
    .action(async (ref: string, opts: { yes?: boolean }) => {
      await cli.withApp(async (app) => {
        const found = await app.gateway.service.find(ctx, ref);
        if (found.unreadableMessages === 0)
          return void cli.out.write(`Gateway mailbox ${found.name} holds no unreadable messages.\n`);
        await confirm(cli, found, `Removing ${found.unreadableMessages} unreadable messages`, opts.yes);
        const purged = await app.gateway.service.purgeUnreadable(ctx, found.id);
        cli.out.write(
          `Removed ${purged.messages} unreadable messages (${purged.bytes} bytes) from ${found.name}.\n`,
        );
      });
    });
}
