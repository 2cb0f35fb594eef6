import { ConflictError, DomainError, UnavailableError, ValidationError } from '@billing-center/core';
import {
  ConnectionException,
  DriverException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '3D000', // invalid_catalog_name: the database does not exist
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
]);

const codeOf = (e: unknown): string | undefined => {
  const x = e as { code?: unknown; cause?: unknown } | null;
  if (!x || typeof x !== 'object') return undefined;
  if (typeof x.code === 'string' && CONNECTION_CODES.has(x.code)) return x.code;
  return x.cause ? codeOf(x.cause) : typeof x.code === 'string' ? x.code : undefined;
};

export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof ConnectionException) return true;
  const code = codeOf(e);
  if (code && CONNECTION_CODES.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|connection (is )?closed|timeout exceeded when trying to connect|Client has encountered a connection error|unable to open database file|Knex: Timeout acquiring a connection/i.test(
    msg,
  );
}

/** Which unique constraint a driver error names (PostgreSQL `constraint`, SQLite `table.column`). */
function constraintOf(e: unknown): { table: string; constraint: string } {
  const x = e as { constraint?: string; table?: string; message?: string };
  if (x.constraint) {
    const table = x.table ?? x.constraint.replace(/_(pkey|[a-z_]+_unique)$/, '');
    const constraint = x.constraint.endsWith('_pkey')
      ? 'id'
      : x.constraint.replace(`${table}_`, '').replace(/_unique$/, '');
    return { table: table.replace(/_/g, ' '), constraint: constraint.replace(/_/g, ' ') };
  }
  const m = /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)/.exec(x.message ?? '');
  if (m?.[1]) {
    const cols = m[1].split(', ');
    return {
      table: cols[0]?.split('.')[0] ?? 'row',
      constraint: cols.map((c) => c.split('.')[1]).join(', '),
    };
  }
  return { table: 'row', constraint: 'unique key' };
}

export const unavailable = (database: string, cause: unknown) =>
  new UnavailableError(
    'database-unavailable',
    `The database (${database}) is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
    { database },
  );

/**
 * Driver errors as domain errors: unique violations become `duplicate-key`, lost or refused connections
 * `database-unavailable`. Domain errors pass through; anything else is a fault and is rethrown as is.
 */
export function toDomainError(e: unknown, database: string): unknown {
  if (e instanceof DomainError) return e;
  if (e instanceof UniqueConstraintViolationException) {
    const { table, constraint } = constraintOf(e);
    return new ConflictError('duplicate-key', `A ${table} with the same ${constraint} already exists.`, {
      table,
      constraint,
    });
  }
  if (e instanceof OptimisticLockError) return e;
  // Deadlock, serialization failure, lock not available: another transaction won; the use case may retry.
  const sqlState =
    (e as { code?: unknown; cause?: { code?: unknown } })?.code ??
    (e as { cause?: { code?: unknown } })?.cause?.code;
  if (sqlState === '40P01' || sqlState === '40001' || sqlState === '55P03') {
    return new ConflictError(
      'concurrent-update',
      'Another transaction changed the same rows at the same time; try again.',
      {
        sqlState,
      },
    );
  }
  if (sqlState === '53300') return unavailable(database, e);
  if (sqlState === '22001') {
    return new ValidationError('value-too-long', 'A value is longer than the database column allows.', {
      sqlState,
    });
  }
  if (isConnectionFailure(e)) return unavailable(database, e);
  if (e instanceof DriverException && /database is locked|SQLITE_BUSY/i.test(e.message))
    return unavailable(database, e);
  return e;
}
