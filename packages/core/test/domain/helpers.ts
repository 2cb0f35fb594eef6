import { expect } from 'vitest';
import { DomainError } from '../../src/index.js';

/** Run `fn`, expect it to throw a DomainError, and return it so the caller can assert code, kind and details. */
export function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('Expected a DomainError, but nothing was thrown.');
}

/** Expect `fn` to throw a DomainError with exactly this code (and kind, when given). */
export function expectDomainError(fn: () => unknown, code: string, kind?: DomainError['kind']): DomainError {
  const e = domainErrorOf(fn);
  expect(e.code).toBe(code);
  if (kind) expect(e.kind).toBe(kind);
  return e;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const utc = (iso: string): Date => new Date(iso);

/** fast-check run count: the default is thorough, CI may turn it up or down. */
export const FC_NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1000);
