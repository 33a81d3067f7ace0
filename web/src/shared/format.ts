import { useTranslation } from 'react-i18next';

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const;

/** Decimal units (1 GB = 10^9 bytes), the same the quota inputs use. */
export function formatBytes(bytes: number, locale: string): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

export const BYTES_PER_GB = 1_000_000_000;

/** Formatting bound to the current UI language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  return {
    number: (value: number) => new Intl.NumberFormat(locale).format(value),
    bytes: (value: number) => formatBytes(value, locale),
    date: (ms: number) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(ms),
    dateTime: (ms: number) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(ms),
    /** A UTC day ("2026-11-24") as a short local label. */
    day: (day: string) =>
      new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
        new Date(`${day}T00:00:00Z`),
      ),
    percent: (fraction: number) =>
      new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(fraction),
  };
}

export type Format = ReturnType<typeof useFormat>;
