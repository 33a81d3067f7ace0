import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SwaksResult {
  status: number | null;
  transcript: string;
  /** Server replies, in order ("250 2.6.0 Stored"). */
  replies: string[];
}

/**
 * swaks (Debian's, a real SMTP client) against the intake; `data` becomes the whole DATA section.
 * Asynchronous: the intake under test runs in this process.
 */
export async function swaks(port: number, args: string[], data?: Buffer, dir?: string): Promise<SwaksResult> {
  const extra: string[] = [];
  if (data) {
    const file = join(dir!, `data-${Math.random().toString(36).slice(2)}.eml`);
    writeFileSync(file, data);
    extra.push('--data', `@${file}`);
  }
  const child = spawn('swaks', ['--server', `127.0.0.1:${port}`, '--timeout', '30', ...args, ...extra]);
  let transcript = '';
  child.stdout.on('data', (chunk: Buffer) => (transcript += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (transcript += chunk.toString('utf8')));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const replies = transcript
    .split('\n')
    .filter((l) => /^<(-|\*\*|~|~\*\*) +\d{3}[ -]/.test(l))
    .map((l) => l.replace(/^<(-|\*\*|~|~\*\*) +/, ''));
  return { status, transcript, replies };
}
