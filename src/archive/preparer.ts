import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PreparedMessage, Preparer, PrepareRequest } from './archive.types.js';
import { prepareMessage } from './prepare-message.js';

/** Prepares in the calling thread: for tests, small jobs, and `workers: 0`. */
export class InThreadPreparer implements Preparer {
  prepare(request: PrepareRequest): Promise<PreparedMessage> {
    return prepareMessage(request);
  }
  async close(): Promise<void> {}
}

/** Parses, compresses and encrypts on worker threads so ingest uses every core. */
export class WorkerPoolPreparer implements Preparer {
  private readonly pool: Piscina;

  constructor(threads: number) {
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('./prepare.worker.js', import.meta.url)),
      minThreads: threads,
      maxThreads: threads,
      // No queue cap here: callers bound the work in flight (a few ingest groups at a time).
    });
  }

  prepare(request: PrepareRequest): Promise<PreparedMessage> {
    return this.pool.run(request) as Promise<PreparedMessage>;
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
