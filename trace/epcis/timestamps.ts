import { EpcisError } from './errors.ts';

/**
 * An xsd:dateTimeStamp (`2020-03-04T11:00:30.5+01:00`, always with a UTC offset or Z) in the one
 * form the CBV 2.0 event hash and this project store: UTC, millisecond precision, capital Z
 * (`2020-03-04T10:00:30.500Z`). Digits beyond the millisecond round half up on the fourth
 * fractional digit, as the hash algorithm specifies. A timestamp without an offset is refused:
 * its instant is unknown.
 */
export function normaliseTimestamp(value: string, path = ''): string {
  // Most timestamps arrive in the stored form already: accept one that the instant writes back
  // unchanged. (Years 0000–0099 take the long way, which checks the bounds after the offset.)
  if (CANONICAL.test(value) && !value.startsWith('00') && isRealInstant(value)) return value;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(value.trim());
  const bad = (why: string) => badTimestamp(value, path, why);
  if (!m) throw bad('is not a date-time with a UTC offset (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))');
  const [, y, mo, d, h, mi, s, fraction = '', , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) throw bad('has a field out of range');
  // Not Date.UTC: it reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const base = date.getTime();
  const check = new Date(base);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) throw bad('names a day that does not exist');
  let offsetMinutes = 0;
  if (sign !== undefined) {
    if (Number(oh) > 14 || Number(om) > 59) throw bad('has a UTC offset out of range');
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0')) + (fraction.length > 3 && fraction[3] >= '5' ? 1 : 0);
  const instant = base + millis - offsetMinutes * 60_000;
  const utcYear = new Date(instant).getUTCFullYear();
  if (year < 1 || utcYear < 1 || utcYear > 9999) throw bad('is outside years 0001–9999');
  return new Date(instant).toISOString();
}

/** The form normaliseTimestamp returns: UTC, millisecond precision, capital Z. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function badTimestamp(value: string, path: string, why: string): EpcisError {
  return new EpcisError('EPCIS_BAD_TIMESTAMP', `${path || 'timestamp'}: "${value}" ${why}`, { path, value });
}

/** Two or four digits of a CANONICAL string as a number. */
function digits(text: string, at: number, count: 2 | 4): number {
  let n = 0;
  for (let i = at; i < at + count; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

/** For a CANONICAL string: month, day (leap years included), hour, minute and second in range. */
function isRealInstant(text: string): boolean {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days && digits(text, 11, 2) <= 23 && digits(text, 14, 2) <= 59 && digits(text, 17, 2) <= 59;
}
