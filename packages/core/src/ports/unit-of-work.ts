import type { TransactionContext } from './repositories.js';

export const UnitOfWork = Symbol('UnitOfWork');
/**
 * One transaction per use case: everything written through `tx` commits together or not at all. A throw
 * inside `work` rolls back and rethrows. A repository write that failed poisons the transaction: even if
 * the work catches the error and returns, nothing commits and the error is thrown (PostgreSQL aborts the
 * transaction on a failed statement; every adapter behaves the same). Adapters map lost connections to UnavailableError (code
 * `database-unavailable`) and optimistic-lock failures to ConcurrencyConflict.
 */
export interface UnitOfWork {
  transaction<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T>;
  /**
   * Read-only work that needs no transaction (a single query, such as a lookup or a page of a list): each
   * statement sees the latest committed data, and no BEGIN/COMMIT round trips are paid. Work that reads
   * several things that must agree with each other uses `transaction`. Writing through `tx` here is a
   * programming error and throws.
   */
  read<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T>;
  /**
   * Whether transactions gain from running side by side in this process: true where the database works
   * while the process waits for it (a server such as PostgreSQL); false where all their work is done on the
   * process's own thread (the in-memory database, and SQLite, whose driver blocks it), so that interleaving
   * them only adds conflicts and re-checks. Batch use cases (the planner) size their concurrency by it.
   */
  readonly overlapsTransactions: boolean;
}
