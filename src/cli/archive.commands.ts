import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { App } from '../app.js';
import { writeMbox } from '../archive/mbox-writer.js';
import { FileImportService } from '../ingest/import/file-import.service.js';
import { ValidationError } from '../core/errors.js';
import { loadOrCreateMasterKey } from '../core/keys.js';
import { createProgress } from './progress.js';
import type { CliContext } from './program.js';
import { formatMinute, OPERATOR, tenantOption } from './cli.fns.js';
import { replaceMasterKeyFile } from '../core/master-key-rotation.js';
import { Pop3Client, type Pop3Security } from '../connectors/pop3/pop3-client.js';
import {
  DEFAULT_SESSION_MESSAGES,
  Pop3ImportService,
  type Pop3ImportSummary,
} from '../ingest/pop3/pop3-import.service.js';
import { readSecret } from './gateway.commands.js';

/** The environment variable a script gives the POP3 password in (`import pop3://…`). */
export const POP3_PASSWORD_ENV = 'POSTVAULT_POP3_PASSWORD';
export const POP3_CA_FILE_ENV = 'POSTVAULT_POP3_CA_FILE';

const isPop3Url = (arg: string) => /^pop3s?:\/\//i.test(arg);

interface Pop3Target {
  security: Pop3Security;
  host: string;
  port: number;
  user: string;
  /** The URL without a user part, for messages. */
  label: string;
}

/** `pop3s://ADDRESS@HOST[:PORT]` (implicit TLS, port 995) or `pop3://…` (STLS, port 110). */
export function parsePop3Url(arg: string, userOption?: string): Pop3Target {
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new ValidationError(`not a POP3 URL: ${arg} (expected pop3s://ADDRESS@HOST:PORT)`);
  }
  const security: Pop3Security = url.protocol.toLowerCase() === 'pop3s:' ? 'tls' : 'stls';
  if (url.password)
    throw new ValidationError(
      `put the POP3 password in ${POP3_PASSWORD_ENV} or type it at the prompt, not in the URL`,
    );
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw new ValidationError(`a POP3 URL names a maildrop, nothing after HOST:PORT: ${arg}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new ValidationError(`the POP3 URL has no host: ${arg}`);
  const port = url.port ? Number(url.port) : security === 'tls' ? 995 : 110;
  let fromUrl: string;
  try {
    fromUrl = decodeURIComponent(url.username);
  } catch {
    throw new ValidationError(`the user part of the POP3 URL is not valid percent-encoding: ${arg}`);
  }
  if (fromUrl && userOption && fromUrl !== userOption)
    throw new ValidationError('the POP3 user is given twice (in the URL and with --user), differently');
  const user = userOption ?? fromUrl;
  if (!user)
    throw new ValidationError(
      'the POP3 user (the mailbox address) is missing: pop3s://ADDRESS@HOST:PORT (@ in the address as %40) or --user',
    );
  const label = `${security === 'tls' ? 'pop3s' : 'pop3'}://${url.host}`;
  return { security, host, port, user, label };
}

interface ImportCommandOptions {
  tenant: string;
  mailbox: string;
  folder: string;
  user?: string;
  caFile?: string;
  insecure?: boolean;
  sessionMessages: number;
}

async function importFromPop3(cli: CliContext, arg: string, opts: ImportCommandOptions): Promise<void> {
  const target = parsePop3Url(arg, opts.user);
  if (!Number.isInteger(opts.sessionMessages) || opts.sessionMessages < 1)
    throw new ValidationError('--session-messages must be a positive number');
  let ca: string | undefined;
  if (opts.caFile) {
    try {
      ca = readFileSync(opts.caFile, 'utf8');
    } catch (error) {
      throw new ValidationError(`cannot read the CA file ${opts.caFile}: ${(error as Error).message}`);
    }
  }
  const password =
    process.env[POP3_PASSWORD_ENV] || (await readSecret(`Password of ${target.user}: `, cli.err));
  if (!password) throw new ValidationError(`a POP3 password is needed (${POP3_PASSWORD_ENV} or the prompt)`);

  await cli.withApp(async (app) => {
    const ctx = await tenantContext(app, opts.tenant);
    const importer = new Pop3ImportService(app.archive);
    let progress: ReturnType<typeof createProgress> | null = null;
    let described = false;
    const open = async () => {
      const client = await Pop3Client.connect({
        host: target.host,
        port: target.port,
        security: target.security,
        ca,
        insecure: opts.insecure,
      });
      try {
        await client.login(target.user, password);
      } catch (error) {
        client.destroy();
        throw error;
      }
      if (!described) {
        described = true;
        const { info } = client;
        cli.err.write(
          `connected to ${target.label} ` +
            (info.how === 'plain'
              ? 'without TLS (loopback)'
              : `over ${info.how === 'tls' ? 'TLS' : 'TLS (STLS)'}, ${info.certificateChecked ? 'certificate checked' : opts.insecure ? 'certificate not checked (--insecure)' : 'certificate not checked (loopback)'}`) +
            '\n',
        );
      }
      return client;
    };
    const count = (s: Pop3ImportSummary) => s.archived + s.copies + s.duplicates + s.failed.length;
    const summary = await importer.importMaildrop(ctx, open, {
      mailbox: opts.mailbox,
      folder: opts.folder,
      sessionMessages: opts.sessionMessages,
      onStart: (total) => {
        cli.err.write(`${total.messages} messages (${total.bytes} bytes) on the server\n`);
        progress = createProgress('import', total.bytes);
      },
      onProgress: (s) => progress?.update(count(s), { bytes: s.bytes, failed: s.failed.length }),
    });
    (progress as ReturnType<typeof createProgress> | null)?.stop();
    cli.out.write(
      `imported from ${target.label} into "${opts.mailbox}": ${summary.archived} new, ` +
        `${summary.copies} copies of archived messages, ${summary.duplicates} already archived, ` +
        `${summary.failed.length} failed (${summary.bytes} bytes); ${summary.deleted} deleted on the server, ` +
        `${summary.notDeleted + summary.failed.length} left there ` +
        `(${summary.sessions} POP3 session${summary.sessions === 1 ? '' : 's'})\n`,
    );
    if (summary.failed.length > 0) {
      cli.err.write('failures (kept on the server):\n');
      for (const failure of summary.failed) cli.err.write(`  ${failure.sourceRef}: ${failure.error}\n`);
    }
    if (summary.interrupted !== null) {
      cli.err.write(
        `stopped early: ${summary.interrupted}\n` +
          (summary.notDeleted > 0
            ? `${summary.notDeleted} archived messages are still on the server; the next import archives nothing twice and deletes them\n`
            : ''),
      );
    }
    if (summary.failed.length > 0 || summary.interrupted !== null) process.exitCode = 1;
  });
}

async function tenantContext(app: App, slug: string) {
  const tenant = await app.tenants.findBySlug(slug);
  return { tenantId: tenant.id };
}

const formatDate = (ms: number | null) => formatMinute(ms, '(no date)       ');

export function registerArchiveCommands(program: Command, cli: CliContext): void {
  program
    .command('import')
    .description(
      'Archive EML files, folders of them (recursive), MBOX files (mboxo/mboxrd) and PST/OST files, ' +
        'or the messages of a POP3 maildrop such as a gateway mailbox (pop3s://ADDRESS@HOST:PORT)',
    )
    .addOption(tenantOption())
    .requiredOption('--mailbox <name>', 'archive mailbox to import into (created when missing)')
    .option('--folder <path>', 'folder inside the mailbox, e.g. "Imported/2024"', '')
    .option('--user <address>', 'POP3: the user name (the mailbox address), instead of in the URL')
    .addOption(
      new Option(
        '--ca-file <pem>',
        'POP3: extra CA certificates (PEM) to trust, e.g. a self-signed gateway certificate',
      ).env(POP3_CA_FILE_ENV),
    )
    .option('--insecure', 'POP3: encrypt, but do not check the server certificate')
    .option(
      '--session-messages <n>',
      'POP3: messages per session; each session ends with QUIT, which applies its deletions',
      (v) => Number.parseInt(v, 10),
      DEFAULT_SESSION_MESSAGES,
    )
    .argument('<paths...>', 'files or folders to import, or one pop3s:// or pop3:// URL')
    .addHelpText(
      'after',
      `
Re-running the same import archives nothing twice. Exit code 1 when any message could not be archived.

POP3 (e.g. a gateway mailbox): postvault import pop3s://ADDRESS@HOST:PORT --mailbox NAME
  pop3s:// is TLS from the start (port 995 by default); pop3:// upgrades with STLS (port 110 by
  default) and refuses to send the password in plain text unless HOST is loopback. The "@" of the
  address is written %40 in the URL (pop3://x7k2%40gateway.example@127.0.0.1:1110), or use --user.
  The password comes from ${POP3_PASSWORD_ENV}, or else is asked for without echo.
  The certificate is checked against the system's CAs and --ca-file (${POP3_CA_FILE_ENV}), e.g. a
  gateway's self-signed <dataDir>/tls/gateway.crt (its name is the gateway domain); on loopback,
  STLS is used when offered without that check. Progress shows messages, rate and the share of the
  octets the server listed.
  Every message is archived, then deleted on the server only once its archiving is committed; a
  message that cannot be archived stays on the server and is listed (exit code 1). Each session of
  --session-messages messages ends with QUIT, which is when the server deletes: if the connection
  drops, that session's messages stay on the server, already archived, and the next run archives
  them again as duplicates (nothing twice) and deletes them.`,
    )
    .action(async (paths: string[], opts: ImportCommandOptions) => {
      if (paths.some(isPop3Url)) {
        if (paths.length !== 1)
          throw new ValidationError('import one POP3 URL at a time, without files or folders next to it');
        return importFromPop3(cli, paths[0]!, opts);
      }
      await cli.withApp(async (app) => {
        const ctx = await tenantContext(app, opts.tenant);
        const importer = new FileImportService(app.archive);
        const progress = createProgress('import', await importer.totalBytes(paths));
        const summary = await importer.importPaths(ctx, {
          mailbox: opts.mailbox,
          folder: opts.folder,
          paths,
          onProgress: (s) =>
            progress.update(s.archived + s.copies + s.duplicates + s.failed.length, {
              bytes: s.bytes,
              failed: s.failed.length,
            }),
        });
        progress.stop();
        cli.out.write(
          `imported into "${opts.mailbox}": ${summary.archived} new, ${summary.copies} copies of archived messages, ` +
            `${summary.duplicates} already archived, ${summary.failed.length} failed\n`,
        );
        if (summary.failed.length > 0) {
          cli.err.write('failures:\n');
          for (const failure of summary.failed) cli.err.write(`  ${failure.sourceRef}: ${failure.error}\n`);
          process.exitCode = 1;
        }
      });
    });

  program
    .command('export')
    .description(
      'Export the messages of a mailbox (or those matching a query) byte-identical, as EML files or one MBOX',
    )
    .addOption(tenantOption())
    .requiredOption('--mailbox <name>', 'archive mailbox to export')
    .option('--query <query>', 'only messages matching this search (docs/search.md)')
    .addOption(
      new Option('--format <format>', 'eml: a folder of .eml files; mbox: one mboxrd file')
        .choices(['eml', 'mbox'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <path>', 'target folder (eml) or file (mbox)')
    .action(
      async (opts: {
        tenant: string;
        mailbox: string;
        query?: string;
        format: 'eml' | 'mbox';
        out: string;
      }) => {
        await cli.withApp(async (app) => {
          const ctx = await tenantContext(app, opts.tenant);
          await app.archive.findMailbox(ctx, opts.mailbox);
          const hits = app.search.iterate(ctx, { query: opts.query ?? '', mailbox: opts.mailbox });
          const progress = createProgress('export', null);
          let count = 0;
          if (opts.format === 'eml') {
            await mkdir(opts.out, { recursive: true });
            for await (const hit of hits) {
              const raw = await app.archive.readMessage(ctx, hit.id);
              const folder = join(opts.out, ...hit.folder.split('/').filter(Boolean));
              await mkdir(folder, { recursive: true });
              await writeFile(join(folder, `${hit.id}.eml`), raw);
              progress.update(++count);
            }
          } else {
            const out = createWriteStream(opts.out);
            async function* messages() {
              for await (const hit of hits) {
                yield {
                  raw: await app.archive.readMessage(ctx, hit.id),
                  from: hit.from || undefined,
                  date: hit.date === null ? undefined : new Date(hit.date),
                };
                progress.update(++count);
              }
            }
            await writeMbox(messages(), out);
            out.end();
            await once(out, 'close');
          }
          progress.stop();
          // The operator is nobody's mailbox owner: an export is a read of someone else's mail.
          await app.audit.record({
            tenantId: ctx.tenantId,
            actor: OPERATOR,
            action: 'mailbox.export',
            target: { type: 'mailbox', label: opts.mailbox },
            outcome: 'success',
            details: { query: opts.query ?? '', format: opts.format, messages: count },
          });
          cli.out.write(`exported ${count} messages to ${opts.out}\n`);
        });
      },
    );

  program
    .command('search')
    .description('Search the archive with the query language of docs/search.md')
    .addOption(tenantOption())
    .option('--mailbox <name>', 'only this archive mailbox')
    .option('--json', 'one JSON object per line: id, mailbox, folder, date, from, subject, sha256')
    .option('--limit <n>', 'at most this many results', (v) => Number.parseInt(v, 10), 50)
    .addOption(
      new Option('--sort <order>', 'newest first or best match first')
        .choices(['date', 'relevance'])
        .default('date'),
    )
    .argument('<query...>', 'the query, e.g. from:alice subject:"quarterly report" after:2024-01-01')
    .action(
      async (
        words: string[],
        opts: { tenant: string; mailbox?: string; json?: boolean; limit: number; sort: 'date' | 'relevance' },
      ) => {
        if (!Number.isInteger(opts.limit) || opts.limit < 1)
          throw new ValidationError('--limit must be a positive number');
        await cli.withApp(async (app) => {
          const ctx = await tenantContext(app, opts.tenant);
          const page = await app.search.search(ctx, {
            query: words.join(' '),
            mailbox: opts.mailbox,
            limit: opts.limit,
            sort: opts.sort,
            snippets: !opts.json,
          });
          await app.audit.record({
            tenantId: ctx.tenantId,
            actor: OPERATOR,
            action: 'mailbox.search',
            target: opts.mailbox ? { type: 'mailbox', label: opts.mailbox } : undefined,
            outcome: 'success',
            details: { query: words.join(' '), results: page.results.length },
          });
          for (const hit of page.results) {
            if (opts.json) {
              cli.out.write(
                JSON.stringify({
                  id: hit.id,
                  mailbox: hit.mailbox,
                  folder: hit.folder,
                  date: hit.date === null ? null : new Date(hit.date).toISOString(),
                  from: hit.from,
                  subject: hit.subject,
                  sha256: hit.sha256,
                }) + '\n',
              );
            } else {
              cli.out.write(
                `${String(hit.id).padStart(7)}  ${formatDate(hit.date)}  ${hit.from.padEnd(30).slice(0, 30)}  ${hit.subject}\n`,
              );
              if (hit.snippet) cli.out.write(`         ${hit.snippet}\n`);
            }
          }
          if (!opts.json)
            cli.out.write(
              `${page.results.length} result(s)${page.nextCursor ? ' (more available: raise --limit)' : ''}\n`,
            );
        });
      },
    );

  program
    .command('verify')
    .description('Re-read every stored object, check its authentication tag and the SHA-256 of every message')
    .option('--tenant <slug>', 'only this tenant (default: all tenants)')
    .action(async (opts: { tenant?: string }) => {
      await cli.withApp(async (app) => {
        const tenants = opts.tenant
          ? [await app.tenants.findBySlug(opts.tenant)]
          : await app.tenants.listTenants();
        let damaged = 0;
        for (const tenant of tenants) {
          const progress = createProgress(`verify ${tenant.slug}`, null);
          const report = await app.archive.verify({ tenantId: tenant.id }, (done) => progress.update(done));
          progress.stop();
          cli.out.write(
            `tenant ${tenant.slug}: ${report.checked} messages checked, ${report.problems.length} damaged or missing\n`,
          );
          for (const problem of report.problems) {
            cli.out.write(
              `  DAMAGED ${problem.locations.join(', ') || `content ${problem.contentId}`}: ${problem.problem}\n`,
            );
          }
          damaged += report.problems.length;
        }
        if (damaged > 0) process.exitCode = 1;
      });
    });

  program
    .command('stats')
    .description('Messages, raw bytes, stored bytes and index bytes per tenant')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await cli.withApp(async (app) => {
        const indexBytes = await app.archive.indexBytes();
        const rows = [];
        for (const tenant of await app.tenants.listTenants()) {
          rows.push({ tenant: tenant.slug, ...(await app.archive.stats({ tenantId: tenant.id })) });
        }
        if (opts.json) {
          cli.out.write(JSON.stringify({ tenants: rows, indexBytes }) + '\n');
          return;
        }
        for (const row of rows) {
          const ratio = row.distinctRawBytes > 0 ? (row.storedBytes / row.distinctRawBytes).toFixed(3) : '-';
          cli.out.write(
            `tenant ${row.tenant}: ${row.messages} messages (${row.distinctMessages} distinct), raw ${row.rawBytes} bytes, ` +
              `stored ${row.storedBytes} bytes in ${row.objects} objects (stored/raw of distinct ${ratio}), ` +
              `${row.diskBytes} bytes on disk in ${row.packFiles} packs and ${row.objectFiles} object files\n`,
          );
        }
        cli.out.write(`full-text index: ${indexBytes} bytes\n`);
      });
    });

  const keys = program.command('keys').description('Rotate encryption keys');
  keys
    .command('rotate-data')
    .description(
      'Give a tenant a new data key: new objects use it, existing ones stay readable under the old one',
    )
    .addOption(tenantOption())
    .action(async (opts: { tenant: string }) => {
      await cli.withApp(async (app) => {
        const ctx = await tenantContext(app, opts.tenant);
        const keyId = await app.tenants.rotateDataKey(ctx.tenantId);
        cli.out.write(`tenant ${opts.tenant}: new data key ${keyId} is active\n`);
      });
    });
  keys
    .command('rotate-master')
    .description('Re-wrap every tenant key under a new master key and replace <data>/master.key')
    .action(async () => {
      const config = cli.config();
      if (config.masterKey) {
        throw new ValidationError(
          'the master key comes from POSTVAULT_MASTER_KEY: rotate it where you keep it, not here',
        );
      }
      await cli.withApp(async (app) => {
        const fresh = await replaceMasterKeyFile(app.config.dataDir, (newKey) =>
          app.tenants.rewrapUnder(newKey),
        );
        loadOrCreateMasterKey(app.config.dataDir);
        cli.out.write(`master key replaced; ${fresh} tenant keys re-wrapped\n`);
      });
    });
}
