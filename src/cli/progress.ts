import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: { bytes?: number; failed?: number }): void;
  stop(): void;
}

/**
 * A bar with count, rate and ETA on a terminal; on a pipe or in CI, one plain line every few
 * seconds so logs stay readable.
 */
export function createProgress(
  label: string,
  totalBytes: number | null,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const started = Date.now();
  const rate = (done: number) => (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {count} messages | {rate} msg/s | ETA {eta_formatted} | {failed} failed`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalBytes ?? 1, 0, { count: 0, rate: '0', failed: 0 });
    return {
      update(done, extra) {
        bar.update(Math.min(extra?.bytes ?? 0, totalBytes ?? 1), {
          count: done,
          rate: rate(done),
          failed: extra?.failed ?? 0,
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastPrint = Date.now();
  let printed = -1;
  let last = { done: 0, bytes: 0, failed: 0 };
  const print = () => {
    printed = last.done;
    const elapsed = (Date.now() - started) / 1000;
    const share = totalBytes ? last.bytes / totalBytes : 0;
    const eta = share > 0 ? Math.max(0, Math.round(elapsed / share - elapsed)) : null;
    stream.write(
      `${label}: ${last.done} messages, ${rate(last.done)} msg/s` +
        (totalBytes ? `, ${(share * 100).toFixed(0)}%` : '') +
        (eta !== null ? `, ETA ${eta}s` : '') +
        `, ${last.failed} failed\n`,
    );
  };
  return {
    update(done, extra) {
      last = { done, bytes: extra?.bytes ?? last.bytes, failed: extra?.failed ?? last.failed };
      if (Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        print();
      }
    },
    stop() {
      if (printed !== last.done) print();
    },
  };
}
