import { Command, CommanderError } from 'commander';
import { environmentVariables, loadConfig, type Config } from '../core/config.js';
import { PostvaultError } from '../core/errors.js';
import { openApp, type App } from '../app.js';
import { registerArchiveCommands } from './archive.commands.js';
import { registerAuditCommands } from './audit.commands.js';
import { registerGatewayCommands } from './gateway.commands.js';
import { registerIdentityCommands } from './identity.commands.js';
import { registerJournalCommands } from './journal.commands.js';
import { registerServeCommand } from './serve.command.js';

export interface CliContext {
  config(): Config;
  withApp<T>(fn: (app: App) => Promise<T>, options?: { workers?: number }): Promise<T>;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const envHelp = `
Configuration: a JSON file given with --config, overridden by environment variables:
${Object.keys(environmentVariables)
  .map((name) => `  ${name}`)
  .join('\n')}
The data folder defaults to ./data under the working directory.`;

export function buildProgram(ctx: Partial<Pick<CliContext, 'out' | 'err'>> = {}): Command {
  const program = new Command('postvault')
    .description('Postvault: a multi-tenant, tamper-evident, searchable email archive')
    .option('--config <file>', 'JSON configuration file (environment variables override it)')
    .showHelpAfterError()
    .addHelpText('after', envHelp);

  const cli: CliContext = {
    out: ctx.out ?? process.stdout,
    err: ctx.err ?? process.stderr,
    config: () => loadConfig({ configFile: program.opts<{ config?: string }>().config }),
    async withApp(fn, options) {
      const app = await openApp(cli.config(), options);
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
  };
  registerServeCommand(program, cli);
  registerArchiveCommands(program, cli);
  registerAuditCommands(program, cli);
  registerIdentityCommands(program, cli);
  registerJournalCommands(program, cli);
  registerGatewayCommands(program, cli);
  return program;
}

/** Runs the CLI and returns the exit code; errors become one clear line, never a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof PostvaultError) {
      process.stderr.write(`postvault: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`postvault: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
