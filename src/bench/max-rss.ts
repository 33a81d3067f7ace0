/**
 * Runs the Postvault CLI in this process and, at exit, writes the peak resident set size in KiB
 * (`process.resourceUsage().maxRSS`, which covers the worker threads too) to the file named by
 * BENCH_MAX_RSS_FILE. Used by the benchmark instead of `/usr/bin/time`, which CI may not have.
 *
 *   BENCH_MAX_RSS_FILE=/tmp/rss node dist/bench/max-rss.js import --mailbox x folder/
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../cli.js', import.meta.url);
const out = process.env.BENCH_MAX_RSS_FILE;
process.on('exit', () => {
  if (out) writeFileSync(out, String(process.resourceUsage().maxRSS));
});
// The CLI reads its arguments from process.argv[2...]; make it look as if it had been started itself.
process.argv[1] = fileURLToPath(cli);
await import(cli.href);
