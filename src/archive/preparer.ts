import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PreparedMessage, Preparer, PrepareRequest } from './archive.types.js';
import { prepareMessage } from './prepare-message.js';
import type { PrepareOutcome } from './prepare.worker.js';

/** Prepares in the calling thread: for tests, small jobs, and `workers: 0`. */
export class InThreadPreparer implements Preparer {
  prepare(request: PrepareRequest): Promise<PreparedMessage> {
    return prepareMessage(request);
  }
  async close(): Promise<void> {}
}

/** Most messages in one worker task: small enough that the threads stay evenly loaded. */
const MAX_MESSAGES_PER_TASK = 32;

interface Pending {
  request: PrepareRequest;
  resolve: (prepared: PreparedMessage) => void;
  reject: (error: Error) => void;
}

/**
 * Parses, compresses and encrypts on worker threads so ingest uses every core. Requests made in
 * the same tick (an ingest group asks for all its messages at once) travel to the workers in a few
 * tasks of many messages rather than one task each, which saves most of the per-task piscina and
 * postMessage cost; each message still succeeds or fails on its own.
 */
export class WorkerPoolPreparer implements Preparer {
  private readonly pool: Piscina;
  private pending: Pending[] = [];

  constructor(private readonly threads: number) {
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('./prepare.worker.js', import.meta.url)),
      minThreads: threads,
      maxThreads: threads,
      // No queue cap here: callers bound the work in flight (a few ingest groups at a time).
    });
  }

  prepare(request: PrepareRequest): Promise<PreparedMessage> {
    return new Promise<PreparedMessage>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (this.pending.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.pending;
    this.pending = [];
    const tasks = Math.max(Math.min(this.threads, all.length), Math.ceil(all.length / MAX_MESSAGES_PER_TASK));
    const size = Math.ceil(all.length / tasks);
    for (let start = 0; start < all.length; start += size) {
      const chunk = all.slice(start, start + size);
      (this.pool.run(chunk.map((p) => p.request)) as Promise<PrepareOutcome[]>).then(
        (outcomes) => {
          for (const [i, outcome] of outcomes.entries()) {
            if ('error' in outcome) chunk[i]!.reject(new Error(outcome.error));
            else chunk[i]!.resolve(outcome.prepared);
          }
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          for (const p of chunk) p.reject(failure);
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/**
 * Worker threads need the compiled worker file; when running from TypeScript sources (vitest) it
 * does not exist and preparation stays in-thread.
 */
export function createPreparer(threads: number): Preparer {
  const compiledWorker = fileURLToPath(new URL('./prepare.worker.js', import.meta.url));
  if (threads > 0 && existsSync(compiledWorker)) return new WorkerPoolPreparer(threads);
  return new InThreadPreparer();
}
