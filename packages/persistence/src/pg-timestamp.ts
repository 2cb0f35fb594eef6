/** The digit at `i` of `s` (no check: the caller checked the shape). */
const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const isDigit = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/**
 * A `timestamptz` as PostgreSQL writes it in text (`2026-11-27 04:46:10.123456+00`, `…+05:30`) to epoch
 * milliseconds; null for anything else (the caller then lets `Date` parse it). The driver hands timestamps
 * over as text, and a page of rows holds hundreds of them: this costs about half of `new Date(text)`.
 */
export function parsePgTimestamp(s: string): number | null {
  const n = s.length;
  if (n < 22 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 32) return null;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if (!isDigit(s, i)) return null;
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    i += 1;
    let scale = 100;
    while (i < n && isDigit(s, i)) {
      ms += digit(s, i) * scale;
      scale /= 10;
      i += 1;
    }
    ms = Math.floor(ms);
  }
  const sign = s.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || i + 3 > n || !isDigit(s, i + 1) || !isDigit(s, i + 2)) return null;
  let offsetMinutes = two(s, i + 1) * 60;
  i += 3;
  if (i < n && s.charCodeAt(i) === 58) {
    if (i + 3 > n || !isDigit(s, i + 1) || !isDigit(s, i + 2)) return null;
    offsetMinutes += two(s, i + 1);
    i += 3;
  }
  if (i !== n) return null; // seconds in the offset, a BC suffix, …: not ours
  const utc = Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17), ms);
  return utc - (sign === 43 ? offsetMinutes : -offsetMinutes) * 60_000;
}
