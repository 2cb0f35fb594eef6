import { ValidationError } from './domain-error.js';

/** Small input guards used by entity factories; each failure names the field and what is expected. */
export function requireText(
  field: string,
  value: unknown,
  opts: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {},
): string {
  if (typeof value !== 'string')
    throw new ValidationError('invalid-input', `${field} must be a string.`, { field });
  const v = value.trim();
  const min = opts.min ?? 1;
  const max = opts.max ?? 200;
  if (v.length < min || v.length > max) {
    throw new ValidationError('invalid-input', `${field} must be ${min} to ${max} characters long.`, {
      field,
    });
  }
  if (opts.pattern && !opts.pattern.test(v)) {
    throw new ValidationError('invalid-input', `${field} ${opts.hint ?? 'has an invalid format'}.`, {
      field,
    });
  }
  return v;
}

export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError('invalid-input', `${field} must be one of: ${allowed.join(', ')}.`, {
      field,
      allowed,
    });
  }
  return value as T;
}

export function requireDate(field: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError('invalid-input', `${field} must be a valid time.`, { field });
  }
  return value;
}

/** A whole number of at least `min` (a count, a limit, a size): anything else names the field. */
export function requireWholeNumber(field: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError('invalid-input', `${field} must be a whole number of at least ${min}.`, {
      field,
      min,
    });
  }
  return value;
}
