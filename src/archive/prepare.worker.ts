import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { PreparedMessage, PrepareRequest } from './archive.types.js';
import { installByteBlob } from '../mime/byte-blob.js';
import { prepareMessage } from './prepare-message.js';

// postal-mime joins every decoded part through a Blob; Node's is slow for that (see byte-blob.ts).
// Only this worker thread gets the replacement.
installByteBlob();

/** One message's result in a task: prepared, or the message of the error that stopped it. */
export type PrepareOutcome = { prepared: PreparedMessage } | { error: string };

/**
 * Piscina entry point: one task prepares several messages, one after the other, and reports each
 * on its own. Encrypted objects that own their whole ArrayBuffer are transferred to the writer
 * thread instead of copied (a 50 MB attachment would otherwise exist twice); small ones share
 * Node's buffer pool and must be copied.
 */
export default async function prepare(requests: PrepareRequest[]) {
  const outcomes: PrepareOutcome[] = [];
  const owned = new Set<ArrayBuffer>();
  for (const request of requests) {
    try {
      const prepared = await prepareMessage(request);
      for (const { data } of prepared.objects) {
        if (
          data.byteOffset === 0 &&
          data.byteLength === data.buffer.byteLength &&
          data.buffer instanceof ArrayBuffer
        ) {
          owned.add(data.buffer);
        }
      }
      outcomes.push({ prepared });
    } catch (error) {
      outcomes.push({ error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (owned.size === 0) return outcomes;
  return move({
    get [transferableSymbol]() {
      return [...owned];
    },
    get [valueSymbol]() {
      return outcomes;
    },
  });
}
