import { describe, expect, it } from 'vitest';
import { isoTime } from '../src/http/iso-time.js';

describe('isoTime', () => {
  it('writes what Date.prototype.toISOString writes', () => {
    const edges = [
      0,
      -1,
      1,
      Date.UTC(2026, 10, 27, 4, 46, 10, 123),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      Date.UTC(1900, 2, 1),
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      -62_167_219_200_000, // 0000-01-01
      -62_167_219_200_001, // -000001-12-31: the built-in's six-digit form
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
      253_402_300_800_000, // +010000-01-01
      Date.UTC(50, 0, 1),
      Date.UTC(999, 11, 31, 12),
    ];
    for (const t of edges) expect([t, isoTime(new Date(t))]).toEqual([t, new Date(t).toISOString()]);
    for (let t = -30_000_000_000_000; t < 40_000_000_000_000; t += 9_876_543_211 + 37)
      expect(isoTime(new Date(t))).toBe(new Date(t).toISOString());
  });

  it('throws for an invalid date, as the built-in does', () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
