import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMs,
  calendarMonth,
  DAY_MS,
  HOUR_MS,
  hourStart,
  isValidTimeZone,
  nextHour,
  utcDayKey,
} from '../../src/shared/time.js';
import { FC_NUM_RUNS, utc } from './helpers.js';

describe('hour helpers', () => {
  it('defines an hour and a day in milliseconds', () => {
    expect(HOUR_MS).toBe(3_600_000);
    expect(DAY_MS).toBe(86_400_000);
  });

  it('hourStart truncates to the UTC hour', () => {
    expect(hourStart(utc('2026-11-02T10:59:59.999Z')).toISOString()).toBe('2026-11-02T10:00:00.000Z');
    expect(hourStart(utc('2026-11-02T10:00:00.000Z')).toISOString()).toBe('2026-11-02T10:00:00.000Z');
    expect(hourStart(utc('2026-11-02T10:00:00.001Z')).toISOString()).toBe('2026-11-02T10:00:00.000Z');
  });

  it('nextHour is the boundary strictly after t: exactly 10:00:00.000 moves to 11:00', () => {
    expect(nextHour(utc('2026-11-02T10:00:00.000Z')).toISOString()).toBe('2026-11-02T11:00:00.000Z');
    expect(nextHour(utc('2026-11-02T10:00:00.001Z')).toISOString()).toBe('2026-11-02T11:00:00.000Z');
    expect(nextHour(utc('2026-11-02T10:59:59.999Z')).toISOString()).toBe('2026-11-02T11:00:00.000Z');
    expect(nextHour(utc('2026-12-31T23:30:00.000Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('adds milliseconds without mutating the input', () => {
    const t = utc('2026-11-02T10:15:00.000Z');
    expect(addMs(t, 1).toISOString()).toBe('2026-11-02T10:15:00.001Z');
    expect(t.toISOString()).toBe('2026-11-02T10:15:00.000Z');
  });

  it('keys days in UTC', () => {
    const t = utc('2026-11-02T23:59:59.999Z');
    expect(utcDayKey(t)).toBe('2026-11-02');
    expect(utcDayKey(utc('2026-11-03T00:00:00.000Z'))).toBe('2026-11-03');
  });

  it('keeps the last day it keyed, and is right whatever order it is asked in (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.date({ min: new Date('1960-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), {
          maxLength: 40,
        }),
        (dates) => {
          for (const d of dates) expect(utcDayKey(d)).toBe(d.toISOString().slice(0, 10));
        },
      ),
      { numRuns: FC_NUM_RUNS },
    );
    // the edges of a kept day, either side
    for (const iso of ['2026-11-02T12:00:00Z', '2026-11-01T23:59:59.999Z', '2026-11-02T00:00:00Z'])
      expect(utcDayKey(utc(iso))).toBe(iso.slice(0, 10));
    expect(utcDayKey(utc('1969-12-31T23:59:59.999Z'))).toBe('1969-12-31');
  });
});

describe('calendarMonth', () => {
  it('counts months in UTC around a month boundary', () => {
    expect(calendarMonth(utc('2026-10-31T23:59:59.999Z'), 'UTC')).toBe('2026-10');
    expect(calendarMonth(utc('2026-11-01T00:00:00.000Z'), 'UTC')).toBe('2026-11');
    expect(calendarMonth(utc('2026-12-31T23:59:59.999Z'), 'UTC')).toBe('2026-12');
    expect(calendarMonth(utc('2027-01-01T00:00:00.000Z'), 'UTC')).toBe('2027-01');
  });

  it('counts months in Asia/Shanghai (UTC+8): the month turns at 16:00 UTC the day before', () => {
    expect(calendarMonth(utc('2026-10-31T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-10');
    expect(calendarMonth(utc('2026-10-31T16:00:00.000Z'), 'Asia/Shanghai')).toBe('2026-11');
    expect(calendarMonth(utc('2026-12-31T16:00:00.000Z'), 'Asia/Shanghai')).toBe('2027-01');
    expect(calendarMonth(utc('2026-12-31T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-12');
  });

  it('counts months in a zone west of UTC (America/New_York)', () => {
    // EST is UTC-5: 2027-01-01T04:59Z is still 2026-12-31 in New York.
    expect(calendarMonth(utc('2027-01-01T04:59:59.999Z'), 'America/New_York')).toBe('2026-12');
    expect(calendarMonth(utc('2027-01-01T05:00:00.000Z'), 'America/New_York')).toBe('2027-01');
  });

  it('agrees with the UTC fast path for an explicit Etc/UTC zone', () => {
    for (const iso of ['2026-10-31T23:59:59.999Z', '2026-11-01T00:00:00.000Z', '2026-02-28T12:00:00Z']) {
      expect(calendarMonth(utc(iso), 'Etc/UTC')).toBe(calendarMonth(utc(iso), 'UTC'));
    }
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA zones and rejects anything else', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('UTC+8 please')).toBe(false);
  });
});
