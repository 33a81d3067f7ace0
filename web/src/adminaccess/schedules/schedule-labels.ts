import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { WEEKDAYS, type Recurrence, type RecurrenceKind, type Weekday } from './schedules.api';

/** The translated name of a job type this version knows; undefined for others. */
function knownJobTypeLabel(t: TFunction, jobType: string): string | undefined {
  switch (jobType) {
    case 'integrity-check':
      return t('schedules.jobTypes.integrity-check');
    default:
      return undefined;
  }
}

/** A job type's name; one this version does not know yet is shown as the server's code. */
export function jobTypeLabel(t: TFunction, jobType: string): string {
  return knownJobTypeLabel(t, jobType) ?? jobType;
}

/**
 * What a schedule runs, as the consoles name it: the configuration's name, or for job types without
 * configurations (configId null) the job type's translated name. A null name: the configuration is gone.
 */
export function configurationLabel(
  t: TFunction,
  configuration: { jobType: string; configId: number | null; name: string | null },
): string {
  if (configuration.configId === null)
    return knownJobTypeLabel(t, configuration.jobType) ?? configuration.name ?? configuration.jobType;
  return configuration.name ?? t('schedules.configDeleted');
}

export function recurrenceKindLabel(t: TFunction, kind: RecurrenceKind): string {
  switch (kind) {
    case 'once':
      return t('schedules.kinds.once');
    case 'minutes':
      return t('schedules.kinds.minutes');
    case 'hourly':
      return t('schedules.kinds.hourly');
    case 'daily':
      return t('schedules.kinds.daily');
    case 'weekly':
      return t('schedules.kinds.weekly');
    case 'monthly':
      return t('schedules.kinds.monthly');
  }
}

/** An interval of the every-N-minutes select: whole hours in hours, the rest in minutes. */
export function intervalLabel(t: TFunction, minutes: number): string {
  return minutes % 60 === 0
    ? t('schedules.everyHoursOption', { count: minutes / 60 })
    : t('schedules.everyMinutesOption', { count: minutes });
}

/** 2024-01-01 was a Monday: the weekdays' dates in that week, for Intl's names of them. */
const WEEKDAY_DATES: Record<Weekday, number> = {
  mon: Date.UTC(2024, 0, 1),
  tue: Date.UTC(2024, 0, 2),
  wed: Date.UTC(2024, 0, 3),
  thu: Date.UTC(2024, 0, 4),
  fri: Date.UTC(2024, 0, 5),
  sat: Date.UTC(2024, 0, 6),
  sun: Date.UTC(2024, 0, 7),
};

export function weekdayName(locale: string, day: Weekday, width: 'long' | 'short' = 'long'): string {
  return new Intl.DateTimeFormat(locale, { weekday: width, timeZone: 'UTC' }).format(WEEKDAY_DATES[day]);
}

/** 'HH:mm' as the language writes a time of day ("9:30 AM", "09:30"). */
export function formatTimeOfDay(locale: string, time: string): string {
  const [h, m] = time.split(':').map(Number);
  if (h === undefined || m === undefined || Number.isNaN(h) || Number.isNaN(m)) return time;
  return new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: 'UTC' }).format(
    Date.UTC(2024, 0, 1, h, m),
  );
}

/** 'YYYY-MM-DD' as the language writes a date. */
function formatLocalDate(locale: string, day: string): string {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(ms);
}

/** A recurrence in the UI's language ("Weekly on Mon and Fri at 9:30 AM"); the times are the schedule's zone's. */
export function describeRecurrence(t: TFunction, locale: string, recurrence: Recurrence): string {
  switch (recurrence.kind) {
    case 'once':
      return t('schedules.describe.once', {
        date: formatLocalDate(locale, recurrence.at.slice(0, 10)),
        time: formatTimeOfDay(locale, recurrence.at.slice(11, 16)),
      });
    case 'minutes':
      if (recurrence.every === 60) return t('schedules.describe.everyHour');
      return recurrence.every % 60 === 0
        ? t('schedules.describe.everyHours', { count: recurrence.every / 60 })
        : t('schedules.describe.everyMinutes', { count: recurrence.every });
    case 'hourly':
      return t('schedules.describe.hourly', { minute: recurrence.minute });
    case 'daily':
      return t('schedules.describe.daily', { time: formatTimeOfDay(locale, recurrence.time) });
    case 'weekly': {
      const days = WEEKDAYS.filter((day) => recurrence.days.includes(day)).map((day) =>
        weekdayName(locale, day, 'short'),
      );
      return t('schedules.describe.weekly', {
        days: new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(days),
        time: formatTimeOfDay(locale, recurrence.time),
      });
    }
    case 'monthly': {
      const values = { day: recurrence.day, time: formatTimeOfDay(locale, recurrence.time) };
      return recurrence.day > 28
        ? t('schedules.describe.monthlyLastDay', values)
        : t('schedules.describe.monthly', values);
    }
  }
}

/** describeRecurrence bound to the current UI language. */
export function useDescribeRecurrence(): (recurrence: Recurrence) => string {
  const { t, i18n } = useTranslation();
  return (recurrence) => describeRecurrence(t, i18n.language, recurrence);
}
