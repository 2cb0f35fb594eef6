import type { TransactionContext, UnitOfWork } from '@billing-center/core';
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { toDomainError } from './driver-errors.js';
import { buildRepositories } from './repositories/index.js';
import { type Dialect, Session } from './session.js';

/**
 * One EntityManager fork and one database transaction per call: everything the work writes commits
 * together, a throw rolls it all back and is rethrown (driver errors as domain errors).
 */
export class MikroOrmUnitOfWork implements UnitOfWork {
  constructor(
    private readonly orm: MikroORM,
    private readonly dialect: Dialect,
    private readonly database: string,
  ) {}

  async transaction<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    try {
      const em = this.orm.em.fork() as SqlEntityManager;
      return await em.transactional(async (txEm) => {
        const session = new Session(txEm as SqlEntityManager, this.dialect, this.database);
        const result = await work(buildRepositories(session));
        // A statement failed and the work carried on: the transaction is poisoned, never half-committed.
        if (session.failure) throw session.failure;
        return result;
      });
    } catch (e) {
      throw toDomainError(e, this.database);
    }
  }
}
