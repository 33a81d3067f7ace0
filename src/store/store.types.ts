/**
 * Where a backend put an object, returned by `putMany` and handed back to every other call. Opaque to
 * callers, who store it beside the key (the `blobs.locator` column). The filesystem store uses `f`
 * for an object in a file of its own and `p:<pack>:<offset>:<length>` for one inside a pack file; an
 * object-storage backend can use the same idea (one PUT per group, ranged GETs).
 */
export type BlobLocator = string;

/** Where encrypted objects live. Keys are opaque hex strings; the store never sees plaintext. */
export interface BlobStore {
  /**
   * Durably writes a group of objects: when the promise resolves every object is on stable storage
   * (written, fsynced, renamed into place, directories fsynced). One call per ingest group so that
   * durability does not cost one fsync round per message. Returns the locator of every key given.
   */
  putMany(
    tenantId: number,
    objects: ReadonlyArray<{ key: string; data: Uint8Array }>,
  ): Promise<Map<string, BlobLocator>>;
  get(tenantId: number, key: string, locator: BlobLocator): Promise<Buffer>;
  has(tenantId: number, key: string, locator: BlobLocator): Promise<boolean>;
  /**
   * Makes the object unreadable. A backend that packs objects may leave the space to a later
   * compaction; see the implementation.
   */
  delete(tenantId: number, key: string, locator: BlobLocator): Promise<void>;
  /** Every object stored for a tenant, found without the database (for verify, repair and GC). */
  list(tenantId: number): AsyncIterable<{ key: string; locator: BlobLocator }>;
  /** Bytes one object takes in the store, its own framing included. */
  sizeOf(tenantId: number, key: string, locator: BlobLocator): Promise<number>;
  /** What a tenant's objects take on disk, referenced or not (packs keep deleted entries' bytes). */
  usage(tenantId: number): Promise<BlobUsage>;
}

export interface BlobUsage {
  /** Files holding one object each. */
  objectFiles: number;
  /** Pack files holding many small objects each. */
  packFiles: number;
  /** Sum of file sizes. */
  bytes: number;
  /** Space allocated for those files (whole blocks), what `du` counts. */
  allocatedBytes: number;
}
