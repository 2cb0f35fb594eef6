import type { TransactionContext } from './repositories.js';

export const UnitOfWork = Symbol('UnitOfWork');
/**
 * One transaction per use case: everything written through `tx` commits together or not at all. A throw
 * inside `work` rolls back and rethrows. Adapters map lost connections to UnavailableError (code
 * `database-unavailable`) and optimistic-lock failures to ConcurrencyConflict.
 */
export interface UnitOfWork {
  transaction<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T>;
}
