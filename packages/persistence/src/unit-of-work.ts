import type { TransactionContext, UnitOfWork } from '@billing-center/core';
import { isDomainError } from '@billing-center/core';
import { DriverException, type MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { toDomainError } from './driver-errors.js';
import { buildRepositories } from './repositories/index.js';
import { type Dialect, type PgConnection, Session } from './session.js';

/**
 * One EntityManager fork and one database transaction per call: everything the work writes commits
 * together, a throw rolls it all back and is rethrown (driver errors as domain errors).
 */
export class MikroOrmUnitOfWork implements UnitOfWork {
  private readonly workspaceWriteListeners = new Set<(accountIds: ReadonlySet<string>) => void>();

  constructor(
    private readonly orm: MikroORM,
    private readonly dialect: Dialect,
    private readonly database: string,
  ) {}

  /**
   * Tells `listener`, synchronously as each unit of work that wrote workspaces ends (committed, rolled back,
   * or with an unknown outcome), whose workspaces they were: this process's read cache forgets them before
   * the use case returns. Returns the function that stops telling.
   */
  onWorkspaceWrites(listener: (accountIds: ReadonlySet<string>) => void): () => void {
    this.workspaceWriteListeners.add(listener);
    return () => this.workspaceWriteListeners.delete(listener);
  }

  private ended(session: Session | null): void {
    const owners = session?.workspaceOwnersWritten;
    if (!owners || owners.size === 0) return;
    for (const listener of this.workspaceWriteListeners) listener(owners);
  }

  async read<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    // SQLite has one connection and cheap transactions: a read is a transaction that may not write
    if (this.dialect === 'postgresql') return this.onPooledConnection(work, true);
    return this.transaction((tx) => work(tx), true);
  }

  async transaction<T>(work: (tx: TransactionContext) => Promise<T>, readOnly = false): Promise<T> {
    if (this.dialect === 'postgresql') return this.onPooledConnection(work, readOnly);
    // SQLite, shared by several processes: a transaction that read before another process committed cannot
    // then write (SQLITE_BUSY at once, the busy timeout does not apply). Nothing was written, so the whole
    // unit of work runs again, on fresh data (on a new connection: SqliteFileClient gives up the one that a
    // busy statement was left on).
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.onSqlite(work, readOnly);
      } catch (e) {
        await this.closeLeftoverSqliteTransaction();
        if (attempt >= SQLITE_BUSY_ATTEMPTS || !(isSqliteBusy(e) || isSqliteTransactionNotBegun(e))) throw e;
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  /**
   * After a failed unit of work on SQLite: knex sends no ROLLBACK after a failed COMMIT (it takes the
   * transaction as ended), and SQLite keeps a transaction whose COMMIT failed open, on the one connection,
   * where every later BEGIN would fail ("Transaction query already complete"). Roll it back. A COMMIT that
   * failed busy also gives up its connection, rolled back as it closes (SqliteFileClient); this is for one
   * that fails otherwise and stays open (SQLite may or may not roll back after an I/O error or a full disk).
   */
  private async closeLeftoverSqliteTransaction(): Promise<void> {
    const em = this.orm.em.fork() as SqlEntityManager;
    const client = em.getConnection().getKnex().client as unknown as PooledClient;
    let connection: { inTransaction?: boolean; exec?: (sql: string) => unknown } | null = null;
    try {
      connection = (await client.acquireConnection()) as {
        inTransaction?: boolean;
        exec?: (sql: string) => unknown;
      };
      if (connection?.inTransaction) connection.exec?.('ROLLBACK');
    } catch {
      // nothing more to do here: the next unit of work reports what is wrong
    } finally {
      if (connection) await client.releaseConnection(connection);
    }
  }

  private async onSqlite<T>(work: (tx: TransactionContext) => Promise<T>, readOnly: boolean): Promise<T> {
    let session: Session | null = null;
    try {
      const em = this.orm.em.fork() as SqlEntityManager;
      return await em.transactional(async (txEm) => {
        session = new Session(txEm as SqlEntityManager, this.dialect, this.database);
        session.readOnly = readOnly;
        const result = await work(buildRepositories(session));
        // A statement failed and the work carried on: the transaction is poisoned, never half-committed.
        if (session.failure) throw session.failure;
        return result;
      });
    } catch (e) {
      throw toDomainError(e, this.database);
    } finally {
      this.ended(session);
    }
  }

  /**
   * PostgreSQL: BEGIN, the work's statements and COMMIT on one connection taken from the pool, without
   * knex's and MikroORM's transaction layers (they cost more CPU than a short transaction's queries: about
   * 0.8 ms per transaction, paid by every API request). MikroORM still writes the SQL of filtered reads.
   */
  private async onPooledConnection<T>(
    work: (tx: TransactionContext) => Promise<T>,
    readOnly: boolean,
  ): Promise<T> {
    const em = this.orm.em.fork() as SqlEntityManager;
    const client = em.getConnection().getKnex().client as unknown as PooledClient;
    const convert = (e: unknown) =>
      toDomainError(
        e instanceof DriverException || isDomainError(e) || !(e instanceof Error)
          ? e
          : em.getDriver().convertException(e),
        this.database,
      );
    let connection: PgConnection & { __knex__disposed?: unknown };
    try {
      connection = (await client.acquireConnection()) as PgConnection;
    } catch (e) {
      throw convert(e);
    }
    let session: Session | null = null;
    try {
      // a read runs its statements as they come (autocommit): no BEGIN/COMMIT round trips
      if (!readOnly) await connection.query('begin');
      session = new Session(em, this.dialect, this.database, connection);
      session.readOnly = readOnly;
      const result = await work(buildRepositories(session));
      // A statement failed and the work carried on: the transaction is poisoned, never half-committed.
      if (session.failure) throw session.failure;
      if (!readOnly) await connection.query('commit');
      return result;
    } catch (e) {
      try {
        if (!readOnly) await connection.query('rollback');
      } catch (rollbackFailure) {
        // the connection is gone: the pool must not hand it out again
        connection.__knex__disposed ??= rollbackFailure;
      }
      throw convert(e);
    } finally {
      // after COMMIT (or ROLLBACK) returned, before the use case does
      this.ended(session);
      await client.releaseConnection(connection);
    }
  }
}

const SQLITE_BUSY_ATTEMPTS = 4;

/** SQLite's "database is locked" (SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT), however the driver wrapped it. */
export function isSqliteBusy(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; depth += 1) {
    const err = x as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof err.code === 'string' && err.code.startsWith('SQLITE_BUSY')) return true;
    if (typeof err.message === 'string' && /database is locked|SQLITE_BUSY/.test(err.message)) return true;
    x = err.cause;
  }
  return false;
}

/**
 * knex refuses every statement of a transaction whose BEGIN failed ("Transaction query already complete"):
 * the attempt wrote nothing, so, like a busy database, it is run again. Seen on SQLite under heavy load, after
 * a COMMIT had failed with "SQL statements in progress" and left its transaction open (a busy statement left
 * in progress, which SqliteFileClient now prevents); kept for a transaction left open otherwise. The BEGIN's
 * own error is not surfaced by knex.
 */
export function isSqliteTransactionNotBegun(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; depth += 1) {
    const err = x as { message?: unknown; cause?: unknown };
    if (typeof err.message === 'string' && err.message.startsWith('Transaction query already complete'))
      return true;
    x = err.cause;
  }
  return false;
}

/** knex's client: the connection pool the PostgreSQL transactions take their connection from. */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}
