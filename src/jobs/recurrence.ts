/**
 * The calendar arithmetic of schedules: when a recurrence occurs, in an IANA time zone.
 *
 * Every recurrence is a wall-clock rule in the schedule's time zone ("daily at 09:30 in
 * Europe/Berlin"), turned into absolute instants by croner. The rules, and what happens on the days
 * the clocks change (spring forward: a wall-clock hour is missing; fall back: an hour occurs twice):
 *
 * - **once** at a local date-time. It must lie at least 1 minute in the future when the schedule is
 *   saved. A time in the spring-forward gap runs at the first instant after the gap (02:30 on
 *   2026-03-29 in Europe/Berlin runs at 03:00 CEST = 01:00 UTC); a time that occurs twice runs at
 *   its first occurrence (02:30 on 2026-10-25 runs at 02:30 CEST = 00:30 UTC).
 * - **daily**, **weekly** and **monthly** at a time of day run exactly once on each chosen day, by
 *   the same two rules as once: a time in the gap runs at the first instant after the gap on the
 *   same day, a repeated time runs at its first occurrence only. A day is never skipped and never
 *   run twice.
 * - **monthly** on day 29, 30 or 31 runs on the last day of months that are shorter: day 31 runs on
 *   Feb 28 (Feb 29 in leap years), Apr 30, Jun 30, Sep 30 and Nov 30; day 29 runs on Feb 28 in common
 *   years and Feb 29 in leap years.
 * - **hourly** at minute M, and **every N minutes**, follow the wall clock the way any clock on the
 *   wall does: a slot in the spring-forward gap is skipped (the clock never shows it), and the slots
 *   of the repeated hour run on both passes (they are different instants, one hour apart). So an
 *   hourly schedule runs every 60 real minutes straight through both transitions, and every 15 or
 *   30 minutes keeps its real spacing too; no instant is ever run twice. (This is croner's rule for
 *   "interval jobs", the same as Vixie cron's.)
 * - **every N minutes**: N is a multiple of 15 that divides the 1440 minutes of a day, i.e. one of
 *   {@link EVERY_MINUTES} (15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440). The slots are
 *   counted from local midnight, 00:00, 00:00 + N, …, so every day has the same slots and the spacing
 *   is even across midnight (every 45 minutes: 00:00, 00:45, 01:30, …, 23:15, then 00:00). Values
 *   like 75 or 105, which would leave a short slot before midnight, are rejected. Every 1440
 *   minutes is once a day at 00:00 and behaves like daily at 00:00 (once a day, DST rules of daily).
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { ValidationError, invalidField } from '../core/errors.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The allowed values of an every-N-minutes recurrence: the multiples of 15 that divide a day. */
export const EVERY_MINUTES: readonly number[] = [15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440];

export type Recurrence =
  /** Once, at a local date-time 'YYYY-MM-DDTHH:mm' in the schedule's time zone. */
  | { kind: 'once'; at: string }
  /** Every N minutes (one of EVERY_MINUTES), in slots counted from local midnight. */
  | { kind: 'minutes'; every: number }
  /** Every hour at minute 0–59. */
  | { kind: 'hourly'; minute: number }
  /** Every day at 'HH:mm'. */
  | { kind: 'daily'; time: string }
  /** On the chosen days of the week (at least one, no duplicates) at 'HH:mm'. */
  | { kind: 'weekly'; days: Weekday[]; time: string }
  /** On day 1–31 of every month at 'HH:mm'; on the last day of months that have fewer days. */
  | { kind: 'monthly'; day: number; time: string };

export type RecurrenceKind = Recurrence['kind'];

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;
/** croner searches no further than the year 3000. */
const MAX_YEAR = 2999;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1970 || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isLocalDateTime(at: string): boolean {
  const m = LOCAL_DATE_TIME_RE.exec(at);
  return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

const timeSchema = z
  .string({ error: 'time is required, as HH:mm' })
  .regex(TIME_RE, 'time must be a time of day as HH:mm, from 00:00 to 23:59');

/**
 * The shape and ranges of a recurrence, for HTTP routes. validateRecurrence also checks the time
 * zone and that a once recurrence lies in the future, which need more than the value itself.
 */
export const recurrenceSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('once'),
      at: z
        .string({ error: 'at is required, as a local date and time YYYY-MM-DDTHH:mm' })
        .refine(
          isLocalDateTime,
          `at must be a local date and time YYYY-MM-DDTHH:mm that exists in the calendar, up to the year ${MAX_YEAR}`,
        ),
    }),
    z.strictObject({
      kind: z.literal('minutes'),
      every: z
        .number({ error: 'every is required, as a number of minutes' })
        .refine(
          (n) => EVERY_MINUTES.includes(n),
          `every must be one of ${EVERY_MINUTES.join(', ')} minutes (a multiple of 15 that divides a day)`,
        ),
    }),
    z.strictObject({
      kind: z.literal('hourly'),
      minute: z
        .number({ error: 'minute is required, as a number from 0 to 59' })
        .int('minute must be a whole number from 0 to 59')
        .min(0, 'minute must be a whole number from 0 to 59')
        .max(59, 'minute must be a whole number from 0 to 59'),
    }),
    z.strictObject({ kind: z.literal('daily'), time: timeSchema }),
    z.strictObject({
      kind: z.literal('weekly'),
      days: z
        .array(z.enum(WEEKDAYS, { error: `each of days must be one of ${WEEKDAYS.join(', ')}` }), {
          error: 'days is required, as a list of weekdays',
        })
        .min(1, 'days must name at least one day of the week')
        .refine((days) => new Set(days).size === days.length, 'days must not name a day more than once'),
      time: timeSchema,
    }),
    z.strictObject({
      kind: z.literal('monthly'),
      day: z
        .number({ error: 'day is required, as a day of the month from 1 to 31' })
        .int('day must be a whole number from 1 to 31')
        .min(1, 'day must be a whole number from 1 to 31')
        .max(31, 'day must be a whole number from 1 to 31'),
      time: timeSchema,
    }),
  ],
  { error: 'kind must be one of once, minutes, hourly, daily, weekly, monthly' },
) satisfies z.ZodType<Recurrence>;

/**
 * True for a time zone name the runtime knows (IANA names such as Europe/Berlin, and UTC).
 * Fixed UTC offsets such as "+01:00" are refused: they have no DST rules, and a schedule should
 * follow the clocks of a place.
 */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz === '' || /^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Throws a ValidationError unless the time zone and the recurrence's shape and ranges are valid. */
function checkRecurrence(r: Recurrence, timeZone: string): void {
  if (!isValidTimeZone(timeZone))
    invalidField('timeZone', `"${String(timeZone)}" is not a known IANA time zone, such as Europe/Berlin`);
  const parsed = recurrenceSchema.safeParse(r);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  if (!issue) throw new ValidationError('the recurrence is not valid');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    invalidField(`recurrence.${key}`, `${key} is not a field of a ${String(r.kind)} recurrence`);
  }
  invalidField(['recurrence', ...issue.path.map(String)].join('.'), issue.message);
}

/**
 * Throws a ValidationError (with the field's path, e.g. `recurrence.time` or `timeZone`) unless the
 * recurrence can be saved: a known time zone, valid fields, and for once an instant at least
 * 1 minute after `now`.
 */
export function validateRecurrence(r: Recurrence, timeZone: string, now: Date): void {
  checkRecurrence(r, timeZone);
  if (r.kind === 'once') {
    const at = onceInstant(r.at, timeZone);
    if (at === null || at.getTime() - now.getTime() < 60_000)
      invalidField(
        'recurrence.at',
        `a once schedule must be at least 1 minute in the future; ${r.at} in ${timeZone} is not`,
      );
  }
}

const DOW: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

function hhmm(time: string): { h: number; m: number } {
  const [h = '0', m = '0'] = time.split(':');
  return { h: Number(h), m: Number(m) };
}

/**
 * The slots of every N minutes as croner patterns (seconds first): the minutes of each hour that
 * have the same hours are one pattern. Every 45 minutes is three: `0 0,45 0,3,…,21`,
 * `0 30 1,4,…,22` and `0 15 2,5,…,23`.
 */
function minutesPatterns(every: number): string[] {
  const hoursByMinute = new Map<number, number[]>();
  for (let t = 0; t < 1440; t += every) {
    const minute = t % 60;
    const hours = hoursByMinute.get(minute) ?? [];
    hours.push(Math.floor(t / 60));
    hoursByMinute.set(minute, hours);
  }
  const minutesByHours = new Map<string, number[]>();
  for (const [minute, hours] of [...hoursByMinute].sort(([a], [b]) => a - b)) {
    const key = hours.length === 24 ? '*' : hours.join(',');
    minutesByHours.set(key, [...(minutesByHours.get(key) ?? []), minute]);
  }
  return [...minutesByHours].map(([hours, minutes]) => `0 ${minutes.join(',')} ${hours} * * *`);
}

/** Months that can have fewer than `day` days (February counted as 28). */
function shortMonths(day: number): number[] {
  return [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].filter(
    (month) => new Date(Date.UTC(2027, month, 0)).getUTCDate() < day,
  );
}

/**
 * croner patterns (6 fields, seconds first) whose union is the recurrence. A time of day with a
 * single hour and minute is a croner "fixed-time" job (DST: gap → after the gap, repeated → first
 * occurrence); hourly and every-N-minutes have a wildcard or a list and are "interval" jobs (gap
 * skipped, repeated hour on both passes). See the module comment.
 */
function patternsOf(r: Exclude<Recurrence, { kind: 'once' }>): string[] {
  switch (r.kind) {
    case 'minutes':
      return minutesPatterns(r.every);
    case 'hourly':
      return [`0 ${r.minute} * * * *`];
    case 'daily': {
      const { h, m } = hhmm(r.time);
      return [`0 ${m} ${h} * * *`];
    }
    case 'weekly': {
      const { h, m } = hhmm(r.time);
      const days = [...new Set(r.days.map((d) => DOW[d]))].sort((a, b) => a - b);
      return [`0 ${m} ${h} * * ${days.join(',')}`];
    }
    case 'monthly': {
      const { h, m } = hhmm(r.time);
      // croner cannot say "day 31, or the last day when the month is shorter": day 31 in the months
      // that have it, plus L (last day) in the months that may not. In a leap February, day 29 and L
      // are the same instant.
      const short = shortMonths(r.day);
      const patterns = [`0 ${m} ${h} ${r.day} * *`];
      if (short.length > 0) patterns.push(`0 ${m} ${h} L ${short.join(',')} *`);
      return patterns;
    }
  }
}

/** The instant of a local date-time in a zone, by the DST rules of fixed-time jobs, or null. */
function onceInstant(at: string, timeZone: string): Date | null {
  const m = LOCAL_DATE_TIME_RE.exec(at);
  if (!m) return null;
  const [, year, month, day, hour, minute] = m.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const cron = new Cron(`0 ${minute} ${hour} ${day} ${month} * ${year}`, {
    timezone: timeZone,
    mode: '7-part',
  });
  // Any zone is within ±14 h of UTC: two days before the date is before the instant.
  return cron.nextRun(new Date(Date.UTC(year, month - 1, day) - 2 * 86_400_000));
}

/**
 * The first occurrence strictly after `after`, as an absolute instant; null when there is none
 * (a once recurrence at or before `after`). Throws a ValidationError for an invalid recurrence or
 * time zone.
 */
export function nextOccurrence(r: Recurrence, timeZone: string, after: Date): Date | null {
  checkRecurrence(r, timeZone);
  if (r.kind === 'once') {
    const at = onceInstant(r.at, timeZone);
    return at !== null && at.getTime() > after.getTime() ? at : null;
  }
  let next: Date | null = null;
  for (const pattern of patternsOf(r)) {
    const candidate = new Cron(pattern, { timezone: timeZone }).nextRun(after);
    if (candidate !== null && (next === null || candidate.getTime() < next.getTime())) next = candidate;
  }
  return next;
}

const DAY_LABELS: Record<Weekday, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

/** A short English summary: "Every 30 minutes", "Daily at 09:30", "Weekly on Mon, Wed at 18:00". */
export function describeRecurrence(r: Recurrence): string {
  switch (r.kind) {
    case 'once':
      return `Once on ${r.at.slice(0, 10)} at ${r.at.slice(11, 16)}`;
    case 'minutes':
      if (r.every === 60) return 'Every hour';
      if (r.every % 60 === 0) return `Every ${r.every / 60} hours`;
      return `Every ${r.every} minutes`;
    case 'hourly':
      return `Hourly at minute ${r.minute}`;
    case 'daily':
      return `Daily at ${r.time}`;
    case 'weekly': {
      const days = WEEKDAYS.filter((d) => r.days.includes(d)).map((d) => DAY_LABELS[d]);
      return `Weekly on ${days.join(', ')} at ${r.time}`;
    }
    case 'monthly':
      return r.day > 28
        ? `Monthly on day ${r.day} at ${r.time} (last day in shorter months)`
        : `Monthly on day ${r.day} at ${r.time}`;
  }
}
