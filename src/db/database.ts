import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  /** The raw handle, for the few things Kysely cannot express (FTS5 vocab scans, pragmas, backups). */
  sqlite: SQLite.Database;
}

/** Distinct SQL texts kept prepared; ingest uses a few dozen, so this only bounds odd workloads. */
const STATEMENT_CACHE_SIZE = 500;

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
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite, STATEMENT_CACHE_SIZE) }),
  });
  await migrateToLatest(db as Kysely<unknown>);
  return { db, sqlite };
}

/**
 * Kysely's SQLite driver prepares every query it runs, and preparing costs more than running a
 * small insert. Kysely only needs `prepare` and `close` from the handle, so it gets this wrapper,
 * which keeps the most recently used statements by SQL text (LRU, bounded). SQLite re-prepares a
 * cached statement by itself when the schema changes underneath it.
 */
export function withStatementCache(sqlite: SQLite.Database, capacity: number): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached) {
        // A statement still being iterated (a streamed query) cannot be run again until it ends.
        if (cached.busy) return sqlite.prepare(sql);
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}
