import { describe, expect, it } from 'vitest';
import { parsePgTimestamp } from '../src/pg-timestamp.js';

describe('parsePgTimestamp (timestamptz as PostgreSQL writes it)', () => {
  it('reads every precision and offset as Date does', () => {
    const samples = [
      '2026-11-27 04:46:10+00',
      '2026-11-27 04:46:10.1+00',
      '2026-11-27 04:46:10.12+00',
      '2026-11-27 04:46:10.123+00',
      '2026-11-27 04:46:10.123456+00',
      '2026-11-27 04:46:10.999999+00',
      '2026-01-01 00:00:00+05:30',
      '2026-01-01 00:00:00.5-03',
      '2025-12-31 23:59:59.001-09:30',
      '2024-02-29 12:00:00+14',
      '1970-01-01 00:00:00+00',
    ];
    for (const s of samples) expect([s, parsePgTimestamp(s)]).toEqual([s, new Date(s).getTime()]);
    // and a spread of instants, as PostgreSQL prints them in UTC
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2040, 0, 1); t += 7_777_777_777 + 123) {
      const text = new Date(t).toISOString().replace('T', ' ').replace('Z', '+00');
      expect(parsePgTimestamp(text)).toBe(t);
    }
  });

  it('declines what is not that shape, so that Date parses it instead', () => {
    for (const s of [
      '2026-11-27T04:46:10.123Z',
      '2026-11-27 04:46:10',
      '2026-11-27 04:46:10.123',
      '2026-11-27 04:46:10+00:00:30',
      '2026-11-27 04:46:10+00 BC',
      '20261127 044610+00',
      '2026-1x-27 04:46:10+00',
      'infinity',
      '1764218770123',
      '',
    ])
      expect([s, parsePgTimestamp(s)]).toEqual([s, null]);
  });
});
