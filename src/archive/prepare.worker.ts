import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { PrepareRequest } from './archive.types.js';
import { prepareMessage } from './prepare-message.js';

/**
 * Piscina entry point: one prepared message per task. Encrypted objects that own their whole
 * ArrayBuffer are transferred to the writer thread instead of copied (a 50 MB attachment would
 * otherwise exist twice); small ones share Node's buffer pool and must be copied.
 */
export default async function prepare(request: PrepareRequest) {
  const prepared = await prepareMessage(request);
  const owned = new Set<ArrayBuffer>();
  for (const { data } of prepared.objects) {
    if (
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      data.buffer instanceof ArrayBuffer
    ) {
      owned.add(data.buffer);
    }
  }
  if (owned.size === 0) return prepared;
  return move({
    get [transferableSymbol]() {
      return [...owned];
    },
    get [valueSymbol]() {
      return prepared;
    },
  });
}
