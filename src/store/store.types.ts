/** Where encrypted objects live. Keys are opaque hex strings; the store never sees plaintext. */
export interface BlobStore {
  /**
   * Durably writes a group of objects: when the promise resolves every object is on stable storage
   * (written, fsynced, renamed into place, directories fsynced). One call per ingest group so that
   * durability does not cost one fsync round per message.
   */
  putMany(tenantId: string, objects: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void>;
  get(tenantId: string, key: string): Promise<Buffer>;
  has(tenantId: string, key: string): Promise<boolean>;
  delete(tenantId: string, key: string): Promise<void>;
  /** Every key stored for a tenant (for verify and garbage collection). */
  list(tenantId: string): AsyncIterable<string>;
  /** Bytes used on disk by a tenant's objects. */
  sizeOf(tenantId: string, key: string): Promise<number>;
}
