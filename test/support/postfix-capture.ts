import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './paths.js';
import { freePort } from './server-process.js';
import { tempDir } from './temp-app.js';

const run = promisify(execFile);
const script = join(projectRoot, 'scripts', 'postfix-capture.sh');
/** myhostname in scripts/postfix-capture.sh: the `by` of the Received header Postfix prepends. */
const CAPTURE_HOSTNAME = 'capture.postvault.test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How a listener does TLS: `none` (STARTTLS not offered), `may` (offered, optional), `starttls`
 * (required before MAIL: "530 5.7.0 Must issue a STARTTLS command first"), `implicit` (TLS from the
 * first byte, "SMTPS", smtpd_tls_wrappermode).
 */
export type CaptureTls = 'none' | 'may' | 'starttls' | 'implicit';
/**
 * Whether a listener takes SASL AUTH (PLAIN and LOGIN, checked by Dovecot): `off` (not offered),
 * `optional` (offered; mail without it is accepted too), `required` (RCPT is refused without it:
 * "530 5.7.0 <...>: Client host rejected: Authentication required").
 */
export type CaptureAuth = 'off' | 'optional' | 'required';
export interface CaptureListener {
  tls: CaptureTls;
  auth: CaptureAuth;
}

/**
 * The listeners started unless `listeners` is given: `plain` for encryption "none" (with or without
 * authentication), `starttls` like a submission port (587), `smtps` like port 465.
 */
export const DEFAULT_CAPTURE_LISTENERS = {
  plain: { tls: 'none', auth: 'optional' },
  starttls: { tls: 'starttls', auth: 'required' },
  smtps: { tls: 'implicit', auth: 'required' },
} as const satisfies Record<string, CaptureListener>;

export interface PostfixCaptureOptions<L extends Record<string, CaptureListener>> {
  /** Listener name → mode; names are [a-z0-9_-]+ (not "postfix"). Default DEFAULT_CAPTURE_LISTENERS. */
  listeners?: L;
  /** The SASL account (default "postvault-test" and a random password); no ':' in either. */
  username?: string;
  password?: string;
}

/** A MAIL FROM or RCPT TO as the client sent it: the path between <> and the parameters after it. */
export interface SmtpPath {
  address: string;
  /** As sent, e.g. ["SMTPUTF8", "BODY=8BITMIME", "SIZE=1234"]. */
  parameters: string[];
}

/** One message Postfix accepted and handed to the capture transport. */
export interface CapturedMessage {
  /** Postfix's queue id (also in the "250 2.0.0 Ok: queued as ..." reply and in log()). */
  queueId: string;
  /** The listener (key of `ports`) it arrived on; "postfix" for mail Postfix made itself (a bounce). */
  listener: string;
  /**
   * The DATA section exactly as the client sent it, dot-stuffing undone (what an archive stores):
   * CRLF line ends (a bare LF is refused by this Postfix, a bare CR kept), ending with CRLF unless
   * empty. Postfix's own Received header is split off into `received`. Two Postfix rewrites remain
   * (see scripts/postfix-capture.sh): an obsolete "Name :" header becomes "Name:", and a message whose
   * first line is not a header field gets an empty line before it.
   */
  raw: Buffer;
  /** The Received header this smtpd prepended (CRLF line ends), as Postfix wrote it. */
  received: string;
  /** The MAIL FROM command of this transaction, from the SMTP dialogue in Postfix's log. */
  mailFrom: SmtpPath;
  /** The RCPT TO commands that were accepted (250), in the order sent. */
  rcptTo: SmtpPath[];
  /** The envelope sender as Postfix parsed it ("" for <>). */
  sender: string;
  /** The envelope recipients as Postfix handed them over: Postfix sorts them, so compare as a set. */
  recipients: string[];
  /** MAIL FROM carried SMTPUTF8. */
  smtputf8: boolean;
  /** The MAIL FROM BODY= value ("8BITMIME", "7BIT", ...), upper-cased; null when absent. */
  body: string | null;
  /** Postfix's protocol name from the Received header: ESMTP, ESMTPS, ESMTPSA, UTF8SMTPSA, ... */
  protocol: string;
  /** null: the message came in over a clear-text connection. */
  tls: { mode: 'starttls' | 'implicit'; version: string; cipher: string } | null;
  /** null: the client did not authenticate. */
  auth: { mechanism: string; username: string } | null;
  /** The EHLO/HELO name. */
  helo: string;
  clientPort: number;
  /**
   * The session from connect up to this message's "queued as" reply, as Postfix logged it:
   * "C: EHLO x", "S: 250-PIPELINING", ... (message content is not logged; AUTH lines are, base64).
   */
  dialogue: string[];
  /** The captured file (Received header + raw). */
  file: string;
}

export interface PostfixCapture<N extends string> {
  host: '127.0.0.1';
  /** Listener name → port on 127.0.0.1. */
  ports: Record<N, number>;
  listeners: Record<N, CaptureListener>;
  /** The account AUTH PLAIN/LOGIN accepts. */
  username: string;
  password: string;
  /** The self-signed certificate (PEM; CN=localhost, SAN localhost and 127.0.0.1), to trust as a CA. */
  certificate: string;
  certificateFile: string;
  /** The throwaway folder: etc/, spool/, dovecot/, tls/, capture/, postfix.log, dovecot.log. */
  base: string;
  /** Every message captured so far (since start or clear()), in delivery order. */
  messages(): Promise<CapturedMessage[]>;
  /** Waits until at least `count` messages are captured (default timeout 15 s), then messages(). */
  waitForMessages(count: number, timeoutMs?: number): Promise<CapturedMessage[]>;
  /** Forgets the messages captured so far (removes their files). */
  clear(): void;
  /**
   * Postfix's log: each SMTP command and reply of every session ("< localhost[127.0.0.1]:port: ...").
   * Written asynchronously (postlogd): a line may appear a moment after the client saw the reply, so
   * assert with waitForLog.
   */
  log(): string;
  /** Dovecot's log (authentication failures: "passwd-file(user,127.0.0.1): Password mismatch"). */
  dovecotLog(): string;
  /** Waits (default 5 s) until Postfix's (or Dovecot's) log contains `pattern`; resolves with the log. */
  waitForLog(
    pattern: string | RegExp,
    options?: { timeoutMs?: number; log?: 'postfix' | 'dovecot' },
  ): Promise<string>;
  /** Stops Postfix and Dovecot (waits until they are gone) and removes the folder unless `keep`. */
  stop(options?: { keep?: boolean }): Promise<void>;
}

/** Whether this machine can run the capture: root, and Postfix, Dovecot and OpenSSL installed. */
export function postfixCaptureAvailable(): { ok: boolean; reason: string } {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not running as root');
  if (!existsSync('/usr/sbin/postfix')) missing.push('postfix is not installed');
  if (!existsSync('/usr/sbin/dovecot')) missing.push('dovecot-core is not installed');
  if (!existsSync('/usr/bin/openssl')) missing.push('openssl is not installed');
  return { ok: missing.length === 0, reason: missing.join(', ') };
}

/**
 * A real Postfix that receives what Postvault sends (scripts/postfix-capture.sh): its own folder,
 * free loopback ports, a self-signed certificate, a Dovecot auth service for SASL, SMTPUTF8 on, and
 * every accepted message captured with its envelope. Parallel instances do not collide.
 */
export async function startPostfixCapture<
  L extends Record<string, CaptureListener> = typeof DEFAULT_CAPTURE_LISTENERS,
>(options: PostfixCaptureOptions<L> = {}): Promise<PostfixCapture<Extract<keyof L, string>>> {
  type N = Extract<keyof L, string>;
  const listeners = (options.listeners ?? DEFAULT_CAPTURE_LISTENERS) as unknown as Record<N, CaptureListener>;
  const names = Object.keys(listeners) as N[];
  if (names.length === 0) throw new Error('startPostfixCapture: no listeners');
  for (const name of names) {
    if (!/^[a-z0-9_-]+$/.test(name) || name === 'postfix')
      throw new Error(`startPostfixCapture: bad listener name ${JSON.stringify(name)}`);
  }
  const username = options.username ?? 'postvault-test';
  const password = options.password ?? randomBytes(12).toString('hex');
  if (/[:\s]/.test(username) || /[:\p{Cc}]/u.test(password) || !username || !password)
    throw new Error(
      'startPostfixCapture: no ":" in the username or password, no white space in the username',
    );

  // A free port can be taken by another test before Postfix binds it: then try again with new ones.
  for (let attempt = 1; ; attempt++) {
    const dir = tempDir('postvault-capture-');
    const ports = {} as Record<N, number>;
    for (const name of names) ports[name] = await freePort();
    const specs = names.map((n) => `${n}=${ports[n]}:${listeners[n].tls}:${listeners[n].auth}`);
    try {
      await run('bash', [script, 'start', dir.path, '--user', `${username}:${password}`, ...specs], {
        timeout: 90_000,
      });
      return capture(dir, ports, listeners, username, password);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      await run('bash', [script, 'stop', dir.path], { timeout: 60_000 }).catch(() => undefined);
      dir.remove();
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      if (attempt < 3 && /address already in use/i.test(output)) continue;
      throw new Error(`could not start the Postfix capture: ${e.message}\n${output}`, { cause: err });
    }
  }
}

function capture<N extends string>(
  dir: { path: string; remove(): void },
  ports: Record<N, number>,
  listeners: Record<N, CaptureListener>,
  username: string,
  password: string,
): PostfixCapture<N> {
  const base = dir.path;
  const captureDir = join(base, 'capture');
  const certificateFile = join(base, 'tls', 'cert.pem');
  const readLog = (name: string) => {
    const file = join(base, name);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  /** Complete captures: the .meta is written (renamed into place) after the .eml. */
  const completed = () =>
    readdirSync(captureDir)
      .filter((f) => /^\d+-\w+\.meta$/.test(f))
      .map((f) => f.slice(0, -'.meta'.length))
      .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));

  async function messages(): Promise<CapturedMessage[]> {
    const stems = completed();
    // smtpd logs its "queued as" reply before or around the delivery: wait a little for the log.
    for (let waited = 0; ; waited += 50) {
      const log = readLog('postfix.log');
      try {
        return stems.map((stem) => parseCapture(captureDir, stem, log));
      } catch (err) {
        if (!(err instanceof LogNotYetWritten) || waited >= 5000) throw err;
      }
      await sleep(50);
    }
  }

  let stopped = false;
  return {
    host: '127.0.0.1',
    ports,
    listeners,
    username,
    password,
    certificate: readFileSync(certificateFile, 'utf8'),
    certificateFile,
    base,
    messages,
    async waitForMessages(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (completed().length < count) {
        if (Date.now() > deadline) {
          const tail = readLog('postfix.log').split('\n').slice(-40).join('\n');
          throw new Error(
            `the Postfix capture has ${completed().length} messages, not ${count}, after ${timeoutMs} ms; ` +
              `end of ${join(base, 'postfix.log')}:\n${tail}`,
          );
        }
        await sleep(50);
      }
      return messages();
    },
    clear() {
      for (const stem of completed()) {
        rmSync(join(captureDir, `${stem}.meta`), { force: true });
        rmSync(join(captureDir, `${stem}.eml`), { force: true });
      }
    },
    log: () => readLog('postfix.log'),
    dovecotLog: () => readLog('dovecot.log'),
    async waitForLog(pattern, { timeoutMs = 5000, log = 'postfix' } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = readLog(`${log}.log`);
        if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
        if (Date.now() > deadline)
          throw new Error(`${join(base, `${log}.log`)} has no ${String(pattern)} after ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      await run('bash', [script, 'stop', base], { timeout: 60_000 });
      if (!options.keep) dir.remove();
    },
  };
}

class LogNotYetWritten extends Error {}

/** KEY=VALUE lines written by BASE/bin/capture; `recipient` repeats. */
function parseMeta(text: string): { fields: Map<string, string>; recipients: string[] } {
  const fields = new Map<string, string>();
  const recipients: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'recipient') recipients.push(value);
    else fields.set(key, value);
  }
  return { fields, recipients };
}

/**
 * Splits off the Received header smtpd prepended: "Received: from HELO (...)", continuation lines
 * (TLS details), "\tby capture.postvault.test (Postfix) with PROTO id QUEUEID[;]" and exactly one
 * more line ("\tfor <rcpt>; DATE" or "\tDATE"). Everything after it is the client's DATA.
 */
function splitReceived(file: Buffer, queueId: string, path: string): { received: string; raw: Buffer } {
  const text = file.toString('latin1'); // one char per byte, so string offsets are byte offsets
  const byLine = new RegExp(
    `^\\tby ${CAPTURE_HOSTNAME.replace(/\./g, '\\.')} \\(Postfix\\) with \\S+ id ${queueId};?$`,
  );
  const lines: string[] = [];
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const end = text.indexOf('\r\n', offset);
    if (end < 0) break;
    const line = text.slice(offset, end);
    offset = end + 2;
    if (i === 0 ? !line.startsWith('Received: from ') : !/^[ \t]/.test(line)) break;
    lines.push(line);
    if (i > 0 && lines.length >= 3 && byLine.test(lines.at(-2)!)) {
      return {
        received: Buffer.from(text.slice(0, offset), 'latin1').toString('utf8'),
        raw: file.subarray(offset),
      };
    }
  }
  throw new Error(`${path} does not start with the Received header of ${CAPTURE_HOSTNAME} for ${queueId}`);
}

function parsePath(argument: string, path: string): SmtpPath {
  const m = /^<([^>]*)>\s*(.*)$/.exec(argument.trim());
  if (!m) throw new Error(`cannot read the path ${JSON.stringify(argument)} (${path})`);
  return { address: m[1]!, parameters: m[2]!.split(/\s+/).filter(Boolean) };
}

/**
 * The session that queued `queueId`, from the log's `postfix/LISTENER/smtpd[PID]` lines (with
 * debug_peer_list, smtpd logs "< client: command" and "> client: reply"; one smtpd process serves
 * one session at a time, and smtpd_client_port_logging puts the client port in every line).
 */
function sessionOf(log: string, queueId: string): { dialogue: string[]; clientPort: number } {
  const lines: Array<{ pid: string; text: string }> = [];
  for (const line of log.split('\n')) {
    const m = / postfix\/[\w-]+\/smtpd\[(\d+)\]: (.*)$/.exec(line);
    if (m) lines.push({ pid: m[1]!, text: m[2]! });
  }
  const clientLine = lines.find((l) => l.text.startsWith(`${queueId}: client=`));
  const namaddr = clientLine && /^\S+: client=([^,\s]+)/.exec(clientLine.text)?.[1];
  if (!clientLine || !namaddr) throw new LogNotYetWritten(`no "${queueId}: client=" line in Postfix's log`);
  const own = lines.filter((l) => l.pid === clientLine.pid);
  const queued = own.findIndex(
    (l) => l.text.startsWith(`> ${namaddr}: 250 `) && l.text.endsWith(`queued as ${queueId}`),
  );
  if (queued < 0) throw new LogNotYetWritten(`no "queued as ${queueId}" reply in Postfix's log`);
  let start = queued;
  while (start > 0 && own[start]!.text !== `connect from ${namaddr}`) start--;
  const dialogue: string[] = [];
  for (const l of own.slice(start, queued + 1)) {
    if (l.text.startsWith(`< ${namaddr}: `)) dialogue.push(`C: ${l.text.slice(namaddr.length + 4)}`);
    else if (l.text.startsWith(`> ${namaddr}: `)) dialogue.push(`S: ${l.text.slice(namaddr.length + 4)}`);
  }
  return { dialogue, clientPort: Number(/:(\d+)$/.exec(namaddr)?.[1] ?? 0) };
}

function parseCapture(dir: string, stem: string, log: string): CapturedMessage {
  const file = join(dir, `${stem}.eml`);
  const { fields, recipients } = parseMeta(readFileSync(join(dir, `${stem}.meta`), 'utf8'));
  const field = (key: string) => fields.get(key) ?? '';
  const queueId = field('queue_id');
  const listener = field('listener');
  const { received, raw } = splitReceived(readFileSync(file), queueId, file);

  const { dialogue } = sessionOf(log, queueId);
  // The last MAIL FROM of the session is this transaction's; its RCPTs follow until DATA/BDAT.
  const mailAt = dialogue.findLastIndex((l) => /^C: MAIL FROM:/i.test(l));
  if (mailAt < 0) throw new Error(`no MAIL FROM before "queued as ${queueId}" in Postfix's log`);
  const mailFrom = parsePath(dialogue[mailAt]!.slice('C: MAIL FROM:'.length), file);
  const rcptTo: SmtpPath[] = [];
  for (let i = mailAt + 1; i < dialogue.length; i++) {
    const m = /^C: RCPT TO:(.*)$/i.exec(dialogue[i]!);
    if (m && dialogue[i + 1]?.startsWith('S: 250')) rcptTo.push(parsePath(m[1]!, file));
  }
  const parameter = (name: string) =>
    mailFrom.parameters.find((p) => p.toUpperCase().startsWith(`${name}=`))?.slice(name.length + 1);

  const using = /\(using (\S+) with cipher (\S+) /.exec(received);
  const startTls = dialogue.some((l, i) => /^C: STARTTLS$/i.test(l) && dialogue[i + 1]?.startsWith('S: 220'));
  const mechanism = field('sasl_method');
  return {
    queueId,
    listener,
    raw,
    received,
    mailFrom,
    rcptTo,
    sender: field('sender'),
    recipients,
    smtputf8: mailFrom.parameters.some((p) => p.toUpperCase() === 'SMTPUTF8'),
    body: parameter('BODY')?.toUpperCase() ?? null,
    protocol: /\(Postfix\) with (\S+) id /.exec(received)?.[1] ?? '',
    tls: using
      ? {
          // TLS without a STARTTLS in the session: it was there from the first byte.
          mode: startTls ? 'starttls' : 'implicit',
          version: using[1]!,
          cipher: using[2]!,
        }
      : null,
    auth: mechanism ? { mechanism, username: field('sasl_username') } : null,
    helo: field('client_helo'),
    clientPort: Number(field('client_port')),
    dialogue,
    file,
  };
}
