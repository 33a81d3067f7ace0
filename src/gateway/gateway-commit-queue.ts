import { fsyncDirectory } from '../core/durable-file.js';
import type { GatewayRepository, NewGatewayMessage } from './gateway.repository.js';

interface Pending {
  rows: NewGatewayMessage[];
  folders: string[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for intake: messages whose files are written and renamed wait here; one batch at a
 * time fsyncs the folders they were renamed into (once each) and inserts all their rows in one
 * transaction (one database fsync). What arrives while a batch runs forms the next one, so under
 * load many messages share each fsync and alone a message waits for nothing.
 */
export class GatewayCommitQueue {
  private pending: Pending[] = [];
  private running = false;

  constructor(private readonly repository: Pick<GatewayRepository, 'insertMessages'>) {}

  /** Resolves once the rows are committed and the renames are durable: then 250 may be said. */
  commit(rows: NewGatewayMessage[], folders: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, folders, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          for (const folder of new Set(batch.flatMap((p) => p.folders))) await fsyncDirectory(folder);
          await this.repository.insertMessages(batch.flatMap((p) => p.rows));
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
