import type { PrepareRequest } from './archive.types.js';
import { prepareMessage } from './prepare-message.js';

/** Piscina entry point: one prepared message per task. */
export default function prepare(request: PrepareRequest) {
  return prepareMessage(request);
}
