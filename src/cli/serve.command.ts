import type { Command } from 'commander';
import { startHttpServer } from '../http/server.js';
import { openApp } from '../app.js';
import { startGateway, startJournalSmtp } from '../listeners.js';
import type { CliContext } from './program.js';

export function registerServeCommand(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description(
      'Start Postvault: the HTTP consoles and API, the journal SMTP intake, the gateway SMTP intake and POP3 listener, and the scheduler and job runner',
    )
    .action(async () => {
      const app = await openApp(cli.config());
      const firstAdmin = await app.systemAdmins.ensureFirstAdmin(app.config.auth.firstSystemAdminPassword);
      const firstGatewayAdmin = await app.gatewayAdmins.ensureFirstAdmin(
        app.config.auth.firstGatewayAdminPassword,
      );
      const http = await startHttpServer(app);
      const journalSmtp = await startJournalSmtp(app);
      const gateway = await startGateway(app);
      // Also with the listener off: what an earlier run acknowledged is still owed to the archive.
      app.journalIntake.start();
      // Runs left 'running' by a process that died are marked interrupted and queued once more.
      await app.jobs.start();
      // Mail that waited in the queue when the server stopped goes out now.
      await app.sending.outgoing.start();
      cli.out.write(
        `Postvault is running.\n` +
          `  data folder: ${app.config.dataDir}\n` +
          `  HTTP:        ${http.url}  (health: ${http.url}/healthz, API docs: ${http.url}/api/docs)\n` +
          (journalSmtp
            ? `  Journal SMTP: smtp://${journalSmtp.host}:${journalSmtp.port}  (journal endpoint addresses: *@${app.config.journal.domain})\n`
            : `  Journal SMTP: off (POSTVAULT_JOURNAL_SMTP_PORT=0)\n`) +
          (gateway.smtp
            ? `  Gateway SMTP: smtp://${gateway.smtp.host}:${gateway.smtp.port}  (gateway mailbox addresses: *@${app.config.gateway.domain})\n`
            : `  Gateway SMTP: off (POSTVAULT_GATEWAY_SMTP_PORT=0)\n`) +
          (gateway.pop3
            ? `  Gateway POP3: pop3://${gateway.pop3.host}:${gateway.pop3.port}  (user: the mailbox address, password: the mailbox password; STLS)\n`
            : `  Gateway POP3: off (POSTVAULT_GATEWAY_POP3_PORT=0)\n`) +
          (gateway.pop3s
            ? `  Gateway POP3S: pop3s://${gateway.pop3s.host}:${gateway.pop3s.port}  (TLS from the first byte)\n`
            : '') +
          `System console: ${http.url}/system\n` +
          (firstAdmin
            ? `  first system administrator: ${firstAdmin.username}\n` +
              (firstAdmin.generated
                ? `  password (shown once, keep it): ${firstAdmin.password}\n`
                : `  password: the one in POSTVAULT_SYSTEM_ADMIN_PASSWORD\n`)
            : '') +
          `Gateway console: ${http.url}/gateway\n` +
          (firstGatewayAdmin
            ? `  first gateway administrator: ${firstGatewayAdmin.username}\n` +
              (firstGatewayAdmin.generated
                ? `  password (shown once, keep it): ${firstGatewayAdmin.password}\n`
                : `  password: the one in POSTVAULT_GATEWAY_ADMIN_PASSWORD\n`)
            : '') +
          `Admin Access:   ${http.url}/adminaccess  (sign in as admin@<tenant>; create tenants in /system)\n` +
          `Web Access:     ${http.url}/webaccess  (users with the Reader role read their archived mail)\n` +
          `Import mail:   npx postvault import --mailbox NAME PATH...\n` +
          `Search:        npx postvault search QUERY\n` +
          `Gateway:       npx postvault gateway mailbox create --name NAME\n`,
      );
      const shutdown = async () => {
        let code = 0;
        try {
          // Stop taking mail first: messages in flight finish (or get 451) before the store closes.
          await journalSmtp?.close();
          await gateway.close();
          await http.close();
          await app.close();
        } catch (error) {
          app.logger.error({ err: error }, 'shutdown did not finish cleanly');
          code = 1;
        } finally {
          process.exit(code);
        }
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      await new Promise(() => undefined);
    });
}
