import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** Runs a command without blocking this process's event loop (the servers under test may live here). */
export function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ProcessResult> {
  const started = Date.now();
  const child = spawn(command, args, { env: { ...process.env, ...env } });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) =>
      resolve({ status, stdout: Buffer.concat(out), stderr, ms: Date.now() - started }),
    );
  });
}

/**
 * curl's POP3 client: `path` '' lists (LIST), '/N' retrieves message N (RETR). `stls` makes it
 * upgrade with STLS and refuse to go on without TLS (`--ssl-reqd`), trusting the self-signed
 * certificate (`-k`). The credentials go in the URL, as `pop3://user:password@host:port/N`.
 */
export function curlPop3(
  port: number,
  user: string,
  password: string,
  path: string,
  options: { stls?: boolean; extra?: string[] } = {},
): Promise<ProcessResult> {
  const url = `pop3://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}${path}`;
  return run('curl', [
    '--silent',
    '--show-error',
    '--max-time',
    '30',
    ...(options.stls ? ['--ssl-reqd', '-k'] : []),
    ...(options.extra ?? []),
    url,
  ]);
}

/**
 * fetchmail (Debian's) with a throwaway rc file: fetches every message, deletes it on the server
 * (`no keep`), and hands each to an MDA that writes it to its own file in `outDir`, unchanged
 * otherwise (`no rewrite`, `no stripcr`, no MIME decoding). Returns the files' contents in order
 * of retrieval, each without the Received header fetchmail puts first.
 */
export async function fetchmail(
  dir: string,
  port: number,
  user: string,
  password: string,
  options: { tls?: boolean } = {},
): Promise<{ result: ProcessResult; messages: Buffer[] }> {
  const home = join(dir, `fetchmail-${Math.random().toString(36).slice(2)}`);
  const outDir = join(home, 'out');
  mkdirSync(outDir, { recursive: true });
  const rc = join(home, 'fetchmailrc');
  // MDA file names sort in retrieval order: fetchmail runs the MDA once per message, in order.
  const counter = join(home, 'n');
  writeFileSync(counter, '0');
  const mda = `/bin/sh -c 'n=$(($(cat ${counter})+1)); echo $n > ${counter}; cat > ${outDir}/$(printf %05d $n).eml'`;
  const tls = options.tls ? 'sslproto TLS1.2+ no sslcertck' : "sslproto ''";
  writeFileSync(
    rc,
    `set no syslog\n` +
      `poll 127.0.0.1 with proto POP3 port ${port} and options no dns\n` +
      `  user "${user}" there with password "${password}" is "root" here\n` +
      `  options no keep fetchall no rewrite no stripcr no mimedecode ${tls}\n` +
      `  mda "${mda.replace(/"/g, '\\"')}"\n`,
  );
  chmodSync(rc, 0o600);
  const result = await run('fetchmail', ['-f', rc, '-v', '--nodetach'], { FETCHMAILHOME: home });
  const messages = readdirSync(outDir)
    .sort()
    .map((name) => stripFirstReceived(readFileSync(join(outDir, name))));
  return { result, messages };
}

/**
 * fetchmail documents that it adds a Received header of its own to each message it delivers (at
 * the top, or after a Return-Path and Delivered-To it finds there); this removes that one field.
 */
export function stripFirstReceived(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const start = text.search(/(?<=^|\n)Received: from 127\.0\.0\.1\r?\n\s+by \S+ with POP3 \(fetchmail-/);
  if (start < 0)
    throw new Error(`fetchmail did not add its Received header: ${JSON.stringify(text.slice(0, 300))}`);
  let end = text.indexOf('\n', start) + 1;
  while (text[end] === ' ' || text[end] === '\t') end = text.indexOf('\n', end) + 1;
  return Buffer.concat([message.subarray(0, start), message.subarray(end)]);
}
