import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveRepository } from './archive/archive.repository.js';
import { ArchiveService } from './archive/archive.service.js';
import { createPreparer } from './archive/preparer.js';
import type { Config } from './core/config.js';
import { KeyError } from './core/errors.js';
import { loadOrCreateMasterKey } from './core/keys.js';
import {
  completeMasterKeyRotation,
  hasPendingMasterKey,
  NEXT_MASTER_KEY_FILE,
} from './core/master-key-rotation.js';
import { createLogger, type Logger } from './core/logger.js';
import { openDatabase, type OpenedDatabase } from './db/database.js';
import { SearchService } from './search/search.service.js';
import { FsBlobStore, type FsBlobStoreFaults } from './store/fs-blob-store.js';
import { TenantRepository } from './tenancy/tenant.repository.js';
import { TenantService } from './tenancy/tenant.service.js';

/** Everything a face of Postvault needs, wired once. The only place that picks implementations. */
export interface App {
  config: Config;
  logger: Logger;
  database: OpenedDatabase;
  tenants: TenantService;
  archive: ArchiveService;
  search: SearchService;
  masterKey: Buffer;
  close(): Promise<void>;
}

async function openTenantKeys(config: Config, database: OpenedDatabase) {
  const repository = new TenantRepository(database.db);
  const masterKey = loadOrCreateMasterKey(config.dataDir, config.masterKey);
  const tenants = new TenantService(repository, masterKey);
  try {
    await tenants.checkMasterKey();
    return { masterKey, tenants };
  } catch (error) {
    // A rotation that re-wrapped the keys but crashed before replacing master.key: finish it.
    if (!(error instanceof KeyError) || config.masterKey || !hasPendingMasterKey(config.dataDir)) throw error;
    const pending = loadOrCreateMasterKey(
      config.dataDir,
      readFileSync(join(config.dataDir, NEXT_MASTER_KEY_FILE), 'utf8').trim(),
    );
    const recovered = new TenantService(repository, pending);
    await recovered.checkMasterKey();
    completeMasterKeyRotation(config.dataDir);
    return { masterKey: pending, tenants: recovered };
  }
}

export async function openApp(
  config: Config,
  options: { workers?: number; logger?: Logger; blobFaults?: FsBlobStoreFaults } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase(join(config.dataDir, 'postvault.sqlite'));
  let masterKey: Buffer;
  let tenants: TenantService;
  try {
    // A wrong master key must stop us here with a clear message, not produce garbage later.
    ({ masterKey, tenants } = await openTenantKeys(config, database));
    await tenants.ensureDefaultTenant();
  } catch (error) {
    await database.db.destroy();
    throw error;
  }
  const blobs = new FsBlobStore(config.dataDir, { faults: options.blobFaults });
  // Only stale temp files: another process (serve, an import) may be writing right now.
  await blobs.cleanup({ olderThanMs: 60 * 60_000 });
  const preparer = createPreparer(options.workers ?? config.workers);
  const repository = new ArchiveRepository(database.db);
  const archive = new ArchiveService({
    repository,
    blobs,
    tenants,
    preparer,
    partThreshold: config.partThreshold,
  });
  const search = new SearchService(database.db, archive);
  return {
    config,
    logger,
    database,
    tenants,
    archive,
    search,
    masterKey,
    async close() {
      await preparer.close();
      await database.db.destroy();
    },
  };
}
