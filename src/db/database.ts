import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  /** The raw handle, for the few things Kysely cannot express (FTS5 vocab scans, pragmas, backups). */
  sqlite: SQLite.Database;
}

/**
 * Opens (creating if needed) the embedded metadata database and brings it to the latest schema.
 * WAL with synchronous=FULL: a committed transaction survives power loss, which is what "250 only
 * after durable storage" needs; ingest commits in groups so the fsync is shared.
 */
export async function openDatabase(path: string): Promise<OpenedDatabase> {
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>);
  return { db, sqlite };
}
