import type { Command } from 'commander';
import { startHttpServer } from '../http/server.js';
import { openApp } from '../app.js';
import type { CliContext } from './program.js';

export function registerServeCommand(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('Start every listener of Postvault (HTTP now; SMTP intake and POP3 when their faces land)')
    .action(async () => {
      const app = await openApp(cli.config());
      const http = await startHttpServer(app);
      cli.out.write(
        `Postvault is running.\n` +
          `  data folder: ${app.config.dataDir}\n` +
          `  HTTP:        ${http.url}  (health: ${http.url}/healthz)\n` +
          `Import mail:   npx postvault import --mailbox NAME PATH...\n` +
          `Search:        npx postvault search QUERY\n`,
      );
      const shutdown = async () => {
        await http.close();
        await app.close();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      await new Promise(() => undefined);
    });
}
