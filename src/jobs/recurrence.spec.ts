import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import {
  type Recurrence,
  describeRecurrence,
  isValidTimeZone,
  nextOccurrence,
  recurrenceSchema,
  validateRecurrence,
} from './recurrence.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const UTC = 'UTC';

/**
 * The next `count` occurrences strictly after `after`, each found from the one before, the way the
 * scheduler walks a schedule. Stops early at null (a once recurrence that has run).
 */
function occurrences(r: Recurrence, tz: string, after: string, count: number): string[] {
  const out: string[] = [];
  let from = new Date(after);
  for (let i = 0; i < count; i++) {
    const next = nextOccurrence(r, tz, from);
    if (next === null) break;
    out.push(next.toISOString());
    from = next;
  }
  return out;
}

type Row = [label: string, recurrence: Recurrence, timeZone: string, after: string, expected: string[]];

function check(rows: Row[]): void {
  it.each(rows)('%s', (_label, recurrence, tz, after, expected) => {
    // One more than expected is asked for: a once recurrence must stop there, the others go on.
    const found = occurrences(recurrence, tz, after, expected.length + 1);
    if (recurrence.kind === 'once') expect(found).toEqual(expected);
    else expect(found.slice(0, expected.length)).toEqual(expected);
  });
}

describe('nextOccurrence: each kind', () => {
  check([
    [
      'once, UTC',
      { kind: 'once', at: '2026-12-01T08:00' },
      UTC,
      '2026-11-30T00:00:00.000Z',
      ['2026-12-01T08:00:00.000Z'],
    ],
    [
      'once, Berlin (CET)',
      { kind: 'once', at: '2026-12-01T08:00' },
      BERLIN,
      '2026-11-30T00:00:00.000Z',
      ['2026-12-01T07:00:00.000Z'],
    ],
    [
      'once, New York (EST)',
      { kind: 'once', at: '2026-12-01T08:00' },
      NEW_YORK,
      '2026-11-30T00:00:00.000Z',
      ['2026-12-01T13:00:00.000Z'],
    ],
    ['once, already passed', { kind: 'once', at: '2026-12-01T08:00' }, UTC, '2026-12-01T08:00:00.000Z', []],
    [
      'every 15 minutes',
      { kind: 'minutes', every: 15 },
      UTC,
      '2026-05-05T10:07:00.000Z',
      [
        '2026-05-05T10:15:00.000Z',
        '2026-05-05T10:30:00.000Z',
        '2026-05-05T10:45:00.000Z',
        '2026-05-05T11:00:00.000Z',
      ],
    ],
    [
      'every 30 minutes',
      { kind: 'minutes', every: 30 },
      UTC,
      '2026-05-05T10:07:00.000Z',
      ['2026-05-05T10:30:00.000Z', '2026-05-05T11:00:00.000Z', '2026-05-05T11:30:00.000Z'],
    ],
    [
      'every 45 minutes: slots from local midnight, even across midnight',
      { kind: 'minutes', every: 45 },
      UTC,
      '2026-05-05T22:00:00.000Z',
      [
        '2026-05-05T22:30:00.000Z',
        '2026-05-05T23:15:00.000Z',
        '2026-05-06T00:00:00.000Z',
        '2026-05-06T00:45:00.000Z',
        '2026-05-06T01:30:00.000Z',
        '2026-05-06T02:15:00.000Z',
        '2026-05-06T03:00:00.000Z',
      ],
    ],
    [
      'every 90 minutes',
      { kind: 'minutes', every: 90 },
      UTC,
      '2026-05-05T21:00:00.000Z',
      [
        '2026-05-05T22:30:00.000Z',
        '2026-05-06T00:00:00.000Z',
        '2026-05-06T01:30:00.000Z',
        '2026-05-06T03:00:00.000Z',
      ],
    ],
    [
      'every 60 minutes',
      { kind: 'minutes', every: 60 },
      UTC,
      '2026-05-05T10:00:00.000Z',
      ['2026-05-05T11:00:00.000Z', '2026-05-05T12:00:00.000Z'],
    ],
    [
      'every 720 minutes, from local midnight in Berlin (CEST)',
      { kind: 'minutes', every: 720 },
      BERLIN,
      '2026-05-05T12:00:00.000Z',
      ['2026-05-05T22:00:00.000Z', '2026-05-06T10:00:00.000Z', '2026-05-06T22:00:00.000Z'],
    ],
    [
      'every 1440 minutes is local midnight',
      { kind: 'minutes', every: 1440 },
      UTC,
      '2026-05-05T12:00:00.000Z',
      ['2026-05-06T00:00:00.000Z', '2026-05-07T00:00:00.000Z'],
    ],
    [
      'hourly at minute 5, after exactly an occurrence',
      { kind: 'hourly', minute: 5 },
      UTC,
      '2026-05-05T10:05:00.000Z',
      ['2026-05-05T11:05:00.000Z', '2026-05-05T12:05:00.000Z'],
    ],
    [
      'hourly at minute 5, a millisecond before an occurrence',
      { kind: 'hourly', minute: 5 },
      UTC,
      '2026-05-05T10:04:59.999Z',
      ['2026-05-05T10:05:00.000Z', '2026-05-05T11:05:00.000Z'],
    ],
    [
      'daily at 09:30, UTC',
      { kind: 'daily', time: '09:30' },
      UTC,
      '2026-05-05T09:30:00.000Z',
      ['2026-05-06T09:30:00.000Z', '2026-05-07T09:30:00.000Z'],
    ],
    [
      'daily at 09:30, Berlin (CEST)',
      { kind: 'daily', time: '09:30' },
      BERLIN,
      '2026-05-05T00:00:00.000Z',
      ['2026-05-05T07:30:00.000Z', '2026-05-06T07:30:00.000Z'],
    ],
    [
      'daily at 00:00, Berlin',
      { kind: 'daily', time: '00:00' },
      BERLIN,
      '2026-05-05T00:00:00.000Z',
      ['2026-05-05T22:00:00.000Z', '2026-05-06T22:00:00.000Z'],
    ],
    [
      'weekly on Mon and Wed at 18:00 (from a Tuesday)',
      { kind: 'weekly', days: ['wed', 'mon'], time: '18:00' },
      UTC,
      '2026-05-05T00:00:00.000Z',
      ['2026-05-06T18:00:00.000Z', '2026-05-11T18:00:00.000Z', '2026-05-13T18:00:00.000Z'],
    ],
    [
      'weekly on every day',
      { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], time: '06:00' },
      UTC,
      '2026-05-05T07:00:00.000Z',
      ['2026-05-06T06:00:00.000Z', '2026-05-07T06:00:00.000Z', '2026-05-08T06:00:00.000Z'],
    ],
    [
      'monthly on day 15',
      { kind: 'monthly', day: 15, time: '08:00' },
      UTC,
      '2026-05-15T08:00:00.000Z',
      ['2026-06-15T08:00:00.000Z', '2026-07-15T08:00:00.000Z'],
    ],
  ]);
});

describe('nextOccurrence: Europe/Berlin DST (2026-03-29 02:00 CET → 03:00 CEST, 2026-10-25 03:00 CEST → 02:00 CET)', () => {
  check([
    [
      'daily 02:30 on the spring-forward day runs at 03:00 CEST, once',
      { kind: 'daily', time: '02:30' },
      BERLIN,
      '2026-03-27T12:00:00.000Z',
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    ],
    [
      'daily 02:30 on the fall-back day runs once, at the first 02:30 (CEST)',
      { kind: 'daily', time: '02:30' },
      BERLIN,
      '2026-10-24T00:00:00.000Z',
      ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    ],
    [
      'daily 02:30, asked between the two 02:30s, does not run at the second',
      { kind: 'daily', time: '02:30' },
      BERLIN,
      '2026-10-25T00:45:00.000Z',
      ['2026-10-26T01:30:00.000Z'],
    ],
    [
      'daily 09:00 keeps local time across spring forward',
      { kind: 'daily', time: '09:00' },
      BERLIN,
      '2026-03-28T00:00:00.000Z',
      ['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    ],
    [
      'daily 09:00 keeps local time across fall back',
      { kind: 'daily', time: '09:00' },
      BERLIN,
      '2026-10-24T00:00:00.000Z',
      ['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', '2026-10-26T08:00:00.000Z'],
    ],
    [
      'hourly at :30 skips the missing 02:30 and stays 60 real minutes apart (spring)',
      { kind: 'hourly', minute: 30 },
      BERLIN,
      '2026-03-28T23:00:00.000Z',
      [
        '2026-03-28T23:30:00.000Z',
        '2026-03-29T00:30:00.000Z',
        '2026-03-29T01:30:00.000Z',
        '2026-03-29T02:30:00.000Z',
      ],
    ],
    [
      'hourly at :30 runs on both 02:30s, 60 real minutes apart (fall)',
      { kind: 'hourly', minute: 30 },
      BERLIN,
      '2026-10-24T23:00:00.000Z',
      [
        '2026-10-24T23:30:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-25T02:30:00.000Z',
      ],
    ],
    [
      'hourly at :30, asked between the two 02:30s, runs at the second',
      { kind: 'hourly', minute: 30 },
      BERLIN,
      '2026-10-25T00:45:00.000Z',
      ['2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00.000Z'],
    ],
    [
      'every 15 minutes goes from 01:45 CET straight to 03:00 CEST (spring)',
      { kind: 'minutes', every: 15 },
      BERLIN,
      '2026-03-29T00:30:00.000Z',
      ['2026-03-29T00:45:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T01:15:00.000Z'],
    ],
    [
      'every 15 minutes runs through the repeated hour, 15 real minutes apart (fall)',
      { kind: 'minutes', every: 15 },
      BERLIN,
      '2026-10-25T00:30:00.000Z',
      [
        '2026-10-25T00:45:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T01:15:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-25T01:45:00.000Z',
        '2026-10-25T02:00:00.000Z',
      ],
    ],
    [
      'every 120 minutes skips the missing 02:00 (spring)',
      { kind: 'minutes', every: 120 },
      BERLIN,
      '2026-03-28T22:00:00.000Z',
      ['2026-03-28T23:00:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-29T04:00:00.000Z'],
    ],
    [
      'every 120 minutes runs on both 02:00s (fall)',
      { kind: 'minutes', every: 120 },
      BERLIN,
      '2026-10-24T21:00:00.000Z',
      [
        '2026-10-24T22:00:00.000Z',
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T03:00:00.000Z',
      ],
    ],
    [
      'once in the gap runs after it',
      { kind: 'once', at: '2026-03-29T02:30' },
      BERLIN,
      '2026-03-01T00:00:00.000Z',
      ['2026-03-29T01:00:00.000Z'],
    ],
    [
      'once in the repeated hour runs at the first',
      { kind: 'once', at: '2026-10-25T02:30' },
      BERLIN,
      '2026-10-01T00:00:00.000Z',
      ['2026-10-25T00:30:00.000Z'],
    ],
    [
      'weekly on Sunday 02:30 across both transitions',
      { kind: 'weekly', days: ['sun'], time: '02:30' },
      BERLIN,
      '2026-03-22T12:00:00.000Z',
      ['2026-03-29T01:00:00.000Z', '2026-04-05T00:30:00.000Z'],
    ],
    [
      'weekly on Sunday 02:30 on the fall-back day',
      { kind: 'weekly', days: ['sun'], time: '02:30' },
      BERLIN,
      '2026-10-18T12:00:00.000Z',
      ['2026-10-25T00:30:00.000Z', '2026-11-01T01:30:00.000Z'],
    ],
    [
      'monthly on day 29 at 02:30 hits the spring-forward day',
      { kind: 'monthly', day: 29, time: '02:30' },
      BERLIN,
      '2026-03-01T00:00:00.000Z',
      ['2026-03-29T01:00:00.000Z', '2026-04-29T00:30:00.000Z'],
    ],
  ]);
});

describe('nextOccurrence: month ends and leap days', () => {
  check([
    [
      'day 31 in a common year: Feb 28, Apr 30, Jun 30',
      { kind: 'monthly', day: 31, time: '02:00' },
      UTC,
      '2027-01-15T00:00:00.000Z',
      [
        '2027-01-31T02:00:00.000Z',
        '2027-02-28T02:00:00.000Z',
        '2027-03-31T02:00:00.000Z',
        '2027-04-30T02:00:00.000Z',
        '2027-05-31T02:00:00.000Z',
        '2027-06-30T02:00:00.000Z',
      ],
    ],
    [
      'day 31 in a leap year: Feb 29',
      { kind: 'monthly', day: 31, time: '02:00' },
      UTC,
      '2028-01-31T02:00:00.000Z',
      ['2028-02-29T02:00:00.000Z', '2028-03-31T02:00:00.000Z', '2028-04-30T02:00:00.000Z'],
    ],
    [
      'day 31 in September and November',
      { kind: 'monthly', day: 31, time: '02:00' },
      UTC,
      '2027-08-31T02:00:00.000Z',
      [
        '2027-09-30T02:00:00.000Z',
        '2027-10-31T02:00:00.000Z',
        '2027-11-30T02:00:00.000Z',
        '2027-12-31T02:00:00.000Z',
      ],
    ],
    [
      'day 31 in Berlin, across spring forward',
      { kind: 'monthly', day: 31, time: '02:00' },
      BERLIN,
      '2027-02-01T00:00:00.000Z',
      ['2027-02-28T01:00:00.000Z', '2027-03-31T00:00:00.000Z', '2027-04-30T00:00:00.000Z'],
    ],
    [
      'day 30: Feb 28 in a common year',
      { kind: 'monthly', day: 30, time: '10:00' },
      UTC,
      '2027-01-01T00:00:00.000Z',
      ['2027-01-30T10:00:00.000Z', '2027-02-28T10:00:00.000Z', '2027-03-30T10:00:00.000Z'],
    ],
    [
      'day 29 on the leap day 2028-02-29, once',
      { kind: 'monthly', day: 29, time: '10:00' },
      UTC,
      '2028-01-30T00:00:00.000Z',
      ['2028-02-29T10:00:00.000Z', '2028-03-29T10:00:00.000Z'],
    ],
    [
      'day 29: Feb 28 in the common year 2027',
      { kind: 'monthly', day: 29, time: '10:00' },
      UTC,
      '2027-01-30T00:00:00.000Z',
      ['2027-02-28T10:00:00.000Z', '2027-03-29T10:00:00.000Z'],
    ],
    [
      'day 28 is never moved',
      { kind: 'monthly', day: 28, time: '10:00' },
      UTC,
      '2028-01-30T00:00:00.000Z',
      ['2028-02-28T10:00:00.000Z', '2028-03-28T10:00:00.000Z'],
    ],
    [
      'once on the leap day',
      { kind: 'once', at: '2028-02-29T12:00' },
      UTC,
      '2028-01-01T00:00:00.000Z',
      ['2028-02-29T12:00:00.000Z'],
    ],
  ]);
});

describe('nextOccurrence: year boundary and other zones', () => {
  check([
    [
      'weekly on Monday from the last Tuesday of 2026',
      { kind: 'weekly', days: ['mon'], time: '18:00' },
      BERLIN,
      '2026-12-29T00:00:00.000Z',
      ['2027-01-04T17:00:00.000Z', '2027-01-11T17:00:00.000Z'],
    ],
    [
      'weekly on Mon and Fri across New Year (Fri 2027-01-01)',
      { kind: 'weekly', days: ['fri', 'mon'], time: '18:00' },
      BERLIN,
      '2026-12-31T12:00:00.000Z',
      ['2027-01-01T17:00:00.000Z', '2027-01-04T17:00:00.000Z', '2027-01-08T17:00:00.000Z'],
    ],
    [
      'daily 23:30 Berlin on New Year’s Eve is 22:30 UTC',
      { kind: 'daily', time: '23:30' },
      BERLIN,
      '2026-12-31T12:00:00.000Z',
      ['2026-12-31T22:30:00.000Z', '2027-01-01T22:30:00.000Z'],
    ],
    [
      'daily 09:00 New York across spring forward (2026-03-08)',
      { kind: 'daily', time: '09:00' },
      NEW_YORK,
      '2026-03-07T00:00:00.000Z',
      ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z'],
    ],
    [
      'daily 02:30 New York in the gap runs at 03:00 EDT',
      { kind: 'daily', time: '02:30' },
      NEW_YORK,
      '2026-03-07T12:00:00.000Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    ],
    [
      'daily 01:30 New York on fall back (2026-11-01) runs once, in EDT',
      { kind: 'daily', time: '01:30' },
      NEW_YORK,
      '2026-10-31T12:00:00.000Z',
      ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    ],
    [
      'hourly New York through fall back',
      { kind: 'hourly', minute: 0 },
      NEW_YORK,
      '2026-11-01T04:30:00.000Z',
      ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ],
    [
      'every 30 minutes UTC has no transitions',
      { kind: 'minutes', every: 30 },
      UTC,
      '2026-03-29T00:40:00.000Z',
      [
        '2026-03-29T01:00:00.000Z',
        '2026-03-29T01:30:00.000Z',
        '2026-03-29T02:00:00.000Z',
        '2026-03-29T02:30:00.000Z',
      ],
    ],
  ]);
});

describe('describeRecurrence', () => {
  it.each<[Recurrence, string]>([
    [{ kind: 'once', at: '2026-12-01T08:00' }, 'Once on 2026-12-01 at 08:00'],
    [{ kind: 'minutes', every: 15 }, 'Every 15 minutes'],
    [{ kind: 'minutes', every: 30 }, 'Every 30 minutes'],
    [{ kind: 'minutes', every: 90 }, 'Every 90 minutes'],
    [{ kind: 'minutes', every: 60 }, 'Every hour'],
    [{ kind: 'minutes', every: 120 }, 'Every 2 hours'],
    [{ kind: 'hourly', minute: 5 }, 'Hourly at minute 5'],
    [{ kind: 'daily', time: '09:30' }, 'Daily at 09:30'],
    [{ kind: 'weekly', days: ['wed', 'mon'], time: '18:00' }, 'Weekly on Mon, Wed at 18:00'],
    [{ kind: 'weekly', days: ['sun', 'sat'], time: '07:15' }, 'Weekly on Sat, Sun at 07:15'],
    [{ kind: 'monthly', day: 1, time: '00:00' }, 'Monthly on day 1 at 00:00'],
    [{ kind: 'monthly', day: 31, time: '02:00' }, 'Monthly on day 31 at 02:00 (last day in shorter months)'],
  ])('%j → %s', (recurrence, text) => {
    expect(describeRecurrence(recurrence)).toBe(text);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['UTC', true],
    ['Asia/Kolkata', true],
    ['Europe/Berlln', false],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['+01:00', false],
    [' UTC', false],
  ])('%j → %s', (tz, valid) => {
    expect(isValidTimeZone(tz)).toBe(valid);
  });
});

describe('validateRecurrence', () => {
  const now = new Date('2026-06-01T09:59:30.000Z');

  it.each<[string, Recurrence, string]>([
    ['once 90 s ahead (12:01 CEST = 10:01 UTC)', { kind: 'once', at: '2026-06-01T12:01' }, BERLIN],
    ['once in a year', { kind: 'once', at: '2027-06-01T12:00' }, UTC],
    ['every 45 minutes', { kind: 'minutes', every: 45 }, BERLIN],
    ['every 1440 minutes', { kind: 'minutes', every: 1440 }, BERLIN],
    ['hourly at 0', { kind: 'hourly', minute: 0 }, UTC],
    ['hourly at 59', { kind: 'hourly', minute: 59 }, UTC],
    ['daily at 23:59', { kind: 'daily', time: '23:59' }, NEW_YORK],
    ['weekly', { kind: 'weekly', days: ['mon', 'sun'], time: '00:00' }, BERLIN],
    ['monthly on day 31', { kind: 'monthly', day: 31, time: '02:00' }, BERLIN],
  ])('accepts %s', (_label, r, tz) => {
    expect(() => validateRecurrence(r, tz, now)).not.toThrow();
    expect(recurrenceSchema.safeParse(r).success).toBe(true);
  });

  it('accepts once exactly 60 s ahead and refuses 59.999 s ahead', () => {
    const r: Recurrence = { kind: 'once', at: '2026-06-01T12:00' }; // 10:00:00 UTC
    expect(() => validateRecurrence(r, BERLIN, new Date('2026-06-01T09:59:00.000Z'))).not.toThrow();
    expect(() => validateRecurrence(r, BERLIN, new Date('2026-06-01T09:59:00.001Z'))).toThrow(
      /must be at least 1 minute in the future/,
    );
  });

  // [label, recurrence, time zone, field path, message pattern]
  it.each<[string, unknown, string, string, RegExp]>([
    [
      'once in the past',
      { kind: 'once', at: '2026-06-01T09:00' },
      UTC,
      'recurrence.at',
      /must be at least 1 minute in the future/,
    ],
    [
      'once 30 s ahead',
      { kind: 'once', at: '2026-06-01T12:00' },
      BERLIN,
      'recurrence.at',
      /must be at least 1 minute in the future/,
    ],
    [
      'once now',
      { kind: 'once', at: '2026-06-01T09:59' },
      UTC,
      'recurrence.at',
      /must be at least 1 minute in the future/,
    ],
    [
      'once on 30 February',
      { kind: 'once', at: '2027-02-30T10:00' },
      UTC,
      'recurrence.at',
      /exists in the calendar/,
    ],
    [
      'once with seconds',
      { kind: 'once', at: '2027-01-01T10:00:00' },
      UTC,
      'recurrence.at',
      /YYYY-MM-DDTHH:mm/,
    ],
    ['once at 24:00', { kind: 'once', at: '2027-01-01T24:00' }, UTC, 'recurrence.at', /YYYY-MM-DDTHH:mm/],
    [
      'daily at 25:00',
      { kind: 'daily', time: '25:00' },
      UTC,
      'recurrence.time',
      /time must be a time of day as HH:mm/,
    ],
    ['daily at 9:30', { kind: 'daily', time: '9:30' }, UTC, 'recurrence.time', /HH:mm/],
    ['daily at 12:60', { kind: 'daily', time: '12:60' }, UTC, 'recurrence.time', /HH:mm/],
    ['daily without a time', { kind: 'daily' }, UTC, 'recurrence.time', /time is required/],
    ['weekly at 24:00', { kind: 'weekly', days: ['mon'], time: '24:00' }, UTC, 'recurrence.time', /HH:mm/],
    [
      'hourly at minute 60',
      { kind: 'hourly', minute: 60 },
      UTC,
      'recurrence.minute',
      /minute must be a whole number from 0 to 59/,
    ],
    ['hourly at minute -1', { kind: 'hourly', minute: -1 }, UTC, 'recurrence.minute', /from 0 to 59/],
    ['hourly at minute 1.5', { kind: 'hourly', minute: 1.5 }, UTC, 'recurrence.minute', /whole number/],
    ['hourly at minute "5"', { kind: 'hourly', minute: '5' }, UTC, 'recurrence.minute', /minute is required/],
    [
      'weekly with no days',
      { kind: 'weekly', days: [], time: '09:00' },
      UTC,
      'recurrence.days',
      /at least one day/,
    ],
    [
      'weekly with a day twice',
      { kind: 'weekly', days: ['mon', 'tue', 'mon'], time: '09:00' },
      UTC,
      'recurrence.days',
      /more than once/,
    ],
    [
      'weekly with an unknown day',
      { kind: 'weekly', days: ['mon', 'funday'], time: '09:00' },
      UTC,
      'recurrence.days.1',
      /days must be one of mon/,
    ],
    [
      'every 10 minutes',
      { kind: 'minutes', every: 10 },
      UTC,
      'recurrence.every',
      /every must be one of 15, 30, 45/,
    ],
    [
      'every 75 minutes (does not divide a day)',
      { kind: 'minutes', every: 75 },
      UTC,
      'recurrence.every',
      /divides a day/,
    ],
    ['every 0 minutes', { kind: 'minutes', every: 0 }, UTC, 'recurrence.every', /every must be one of/],
    ['every 2880 minutes', { kind: 'minutes', every: 2880 }, UTC, 'recurrence.every', /every must be one of/],
    [
      'monthly on day 0',
      { kind: 'monthly', day: 0, time: '09:00' },
      UTC,
      'recurrence.day',
      /day must be a whole number from 1 to 31/,
    ],
    ['monthly on day 32', { kind: 'monthly', day: 32, time: '09:00' }, UTC, 'recurrence.day', /from 1 to 31/],
    [
      'an unknown kind',
      { kind: 'yearly', time: '09:00' },
      UTC,
      'recurrence.kind',
      /kind must be one of once, minutes/,
    ],
    ['not an object', null, UTC, 'recurrence', /kind must be one of/],
    [
      'a field of another kind',
      { kind: 'daily', time: '09:00', days: ['mon'] },
      UTC,
      'recurrence.days',
      /days is not a field of a daily recurrence/,
    ],
    [
      'an unknown time zone',
      { kind: 'daily', time: '09:00' },
      'Europe/Berlln',
      'timeZone',
      /"Europe\/Berlln" is not a known IANA time zone/,
    ],
    ['an empty time zone', { kind: 'daily', time: '09:00' }, '', 'timeZone', /not a known IANA time zone/],
    [
      'a UTC offset as time zone',
      { kind: 'daily', time: '09:00' },
      '+01:00',
      'timeZone',
      /not a known IANA time zone/,
    ],
  ])('refuses %s', (_label, r, tz, path, message) => {
    let error: unknown;
    try {
      validateRecurrence(r as Recurrence, tz, now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.message).toMatch(message);
    expect(v.details).toEqual({ issues: [{ path, message: v.message }] });
  });

  it('nextOccurrence refuses what validateRecurrence refuses, except a past once', () => {
    const after = new Date('2026-06-01T00:00:00.000Z');
    expect(() => nextOccurrence({ kind: 'minutes', every: 10 }, UTC, after)).toThrow(ValidationError);
    expect(() => nextOccurrence({ kind: 'daily', time: '09:00' }, 'Nowhere/Special', after)).toThrow(
      ValidationError,
    );
    expect(nextOccurrence({ kind: 'once', at: '2020-01-01T00:00' }, UTC, after)).toBeNull();
  });
});

describe('recurrenceSchema', () => {
  it('reports the field path of a bad value', () => {
    const parsed = recurrenceSchema.safeParse({ kind: 'weekly', days: ['mon', 'mon'], time: '25:00' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['days', 'time']);
  });

  it('parses every kind to the Recurrence it was given', () => {
    const all: Recurrence[] = [
      { kind: 'once', at: '2026-12-01T08:00' },
      { kind: 'minutes', every: 30 },
      { kind: 'hourly', minute: 5 },
      { kind: 'daily', time: '09:30' },
      { kind: 'weekly', days: ['mon', 'wed'], time: '18:00' },
      { kind: 'monthly', day: 31, time: '02:00' },
    ];
    for (const r of all) expect(recurrenceSchema.parse(r)).toEqual(r);
  });
});
