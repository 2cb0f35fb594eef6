/** UTC hours are the unit of metering and of billing-method changes. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const hourStart = (t: Date): Date => new Date(Math.floor(t.getTime() / HOUR_MS) * HOUR_MS);
/** The next UTC hour boundary strictly after `t` (a change at 10:00:00.000 takes effect at 11:00). */
export const nextHour = (t: Date): Date => new Date(Math.floor(t.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
export const addMs = (t: Date, ms: number): Date => new Date(t.getTime() + ms);

let lastDay: { start: number; key: string } = { start: Number.NaN, key: '' };
/** "YYYY-MM-DD" of `t` in UTC. The planner asks for the same few days over and over: the last is kept. */
export const utcDayKey = (t: Date): string => {
  const ms = t.getTime();
  if (ms - lastDay.start >= 0 && ms - lastDay.start < DAY_MS) return lastDay.key;
  const key = t.toISOString().slice(0, 10);
  lastDay = { start: Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()), key };
  return key;
};

/**
 * Calendar month of `t` in an IANA time zone, as "YYYY-MM". The once-a-month rule counts months in the
 * billing time zone (configurable, UTC by default).
 */
export function calendarMonth(t: Date, timeZone: string): string {
  if (timeZone === 'UTC') return t.toISOString().slice(0, 7);
  const parts = monthFormatter(timeZone).formatToParts(t);
  const y = parts.find((p) => p.type === 'year')?.value;
  const m = parts.find((p) => p.type === 'month')?.value;
  return `${y}-${m}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function monthFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
