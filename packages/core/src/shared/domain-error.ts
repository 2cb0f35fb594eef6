/**
 * Every failure a user, AWS or the platform can cause is a DomainError with a stable `code`.
 * Edges map `kind` to their own vocabulary (HTTP status, SNS ack/retry, console message).
 * They are thrown, not returned: a throw inside a unit of work rolls the transaction back,
 * so nothing is ever half-written (docs/adr/0004).
 */
export type ErrorKind =
  | 'validation' // malformed input
  | 'not-found' // unknown id (or another tenant's: never reveal which)
  | 'conflict' // wrong state, duplicate, concurrent update
  | 'rule-violation' // a product rule forbids it
  | 'unauthenticated' // no valid session, token or key (or it ended): sign in again
  | 'forbidden' // authenticated but not allowed
  | 'unavailable'; // an outside system cannot answer now; retry later

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 'validation', message, details);
  }
}

export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  constructor(entity: string, id: string) {
    super(`${entity}-not-found`, 'not-found', `No ${entity.replace(/-/g, ' ')} with id "${id}" exists.`, {
      id,
    });
  }
}

export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 'conflict', message, details);
  }
}

export class RuleViolation extends DomainError {
  override readonly name = 'RuleViolation';
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 'rule-violation', message, details);
  }
}

export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 'forbidden', message, details);
  }
}

export class UnavailableError extends DomainError {
  override readonly name = 'UnavailableError';
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 'unavailable', message, details);
  }
}

/** Optimistic-lock failure: someone else changed the row since it was read. Safe to retry the use case. */
export class ConcurrencyConflict extends ConflictError {
  constructor(entity: string, id: string) {
    super('concurrent-update', `The ${entity} "${id}" was changed by someone else; reload and try again.`, {
      entity,
      id,
    });
  }
}
