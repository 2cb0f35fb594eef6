import type { Actor } from '../../domain/audit/audit-entry.js';
import { ForbiddenError, ValidationError } from '../../shared/domain-error.js';

export const MAX_PAGE = 200;

export function pageSize(limit: unknown): number {
  if (limit === undefined) return 50;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ValidationError('invalid-input', `limit must be a whole number from 1 to ${MAX_PAGE}.`, {
      field: 'limit',
    });
  }
  return limit;
}

/** Who may read an account's objects: the customer itself, operators, and the platform (service keys). */
export function ownerFor(by: Actor, accountId: string | undefined): string | undefined {
  if (by.type === 'customer') return by.accountId;
  if (by.type === 'operator' || by.type === 'platform') return accountId;
  throw new ForbiddenError('not-allowed', 'This caller cannot read workspaces.');
}
