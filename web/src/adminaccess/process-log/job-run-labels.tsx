import { Group, Progress, Stack, Text } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../shared/format';
import type { JobRun, JobTrigger } from './job-runs.api';

// The status badge and words are the Schedules page's (its "last run"), so both pages agree.
export { JobStatusBadge, jobStatusLabel } from '../schedules/job-status-badge';

/** The job types this version knows, for the type filter; the server may report others. */
export const JOB_TYPES = ['integrity-check', 'journal-intake'] as const;

/** A job type's name; one this version does not know yet is shown as the server's code. */
export function jobTypeLabel(t: TFunction, jobType: string): string {
  switch (jobType) {
    case 'integrity-check':
      return t('jobRuns.types.integrity-check');
    case 'journal-intake':
      return t('jobRuns.types.journal-intake');
    default:
      return jobType;
  }
}

/**
 * What a run ran: its configuration's name, or for job types without configurations (configId null,
 * e.g. the archive integrity check, whose name the server sends in English) the type's name.
 */
export function runConfigurationLabel(
  t: TFunction,
  run: Pick<JobRun, 'jobType' | 'configId' | 'configName'>,
) {
  return run.configId === null ? jobTypeLabel(t, run.jobType) : run.configName || '–';
}

export function triggerLabel(t: TFunction, trigger: JobTrigger): string {
  switch (trigger) {
    case 'schedule':
      return t('jobRuns.triggers.schedule');
    case 'manual':
      return t('jobRuns.triggers.manual');
    case 'intake':
      return t('jobRuns.triggers.intake');
    case 'restart':
      return t('jobRuns.triggers.restart');
  }
}

/** A counter's name (`checked`, `damaged`, …); one this version does not know is shown as sent. */
export function counterLabel(t: TFunction, name: string): string {
  switch (name) {
    case 'checked':
      return t('jobRuns.counterNames.checked');
    case 'damaged':
      return t('jobRuns.counterNames.damaged');
    case 'received':
      return t('jobRuns.counterNames.received');
    default:
      return name;
  }
}

type DurationUnit = 'day' | 'hour' | 'minute' | 'second';

const DURATION_UNITS: ReadonlyArray<readonly [DurationUnit, number]> = [
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * The two largest units of a duration: "350 ms", "12 sec", "3 min 5 sec", "2 hr 5 min", "1 day 3 hr"
 * (in German "12 Sek.", "2 Std. 5 Min.").
 */
export function formatDuration(ms: number, locale: string): string {
  const value = Math.max(0, ms);
  const unit = (amount: number, name: DurationUnit | 'millisecond') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short' }).format(amount);
  if (value < 1000) return unit(Math.round(value), 'millisecond');
  const seconds = Math.floor(value / 1000);
  // At least a second here, so some unit fits.
  const index = DURATION_UNITS.findIndex(([, size]) => seconds >= size);
  const [name, size] = DURATION_UNITS[index]!;
  const parts = [unit(Math.floor(seconds / size), name)];
  const next = DURATION_UNITS[index + 1];
  if (next) {
    const rest = Math.floor((seconds % size) / next[1]);
    if (rest > 0) parts.push(unit(rest, next[0]));
  }
  return parts.join(' ');
}

/**
 * How long the run took, or has been running as of `now` (pass the time of the last answer, so the
 * figure moves with each refresh); null when it never started.
 */
export function runDuration(run: Pick<JobRun, 'startedAt' | 'finishedAt'>, now: number): number | null {
  if (run.startedAt === null) return null;
  return (run.finishedAt ?? Math.max(now, run.startedAt)) - run.startedAt;
}

/** A running run's progress: "1,234 of 5,000" and a bar (striped while the total is unknown). */
export function RunProgress({ run, label, compact }: { run: JobRun; label: string; compact?: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (run.status !== 'running' || !run.progress) {
    return (
      <Text size="sm" c="dimmed">
        –
      </Text>
    );
  }
  const { done, total, note } = run.progress;
  const fraction = total === null ? null : total <= 0 ? 1 : Math.min(1, done / total);
  const text =
    total === null
      ? t('jobRuns.progressDone', { done: format.number(done) })
      : t('jobRuns.progressOf', { done: format.number(done), total: format.number(total) });
  return (
    <Stack gap={4} miw={compact ? 140 : undefined} data-testid="job-run-progress">
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size={compact ? 'xs' : 'sm'}>{text}</Text>
        {fraction !== null && (
          <Text size={compact ? 'xs' : 'sm'} c="dimmed">
            {format.percent(fraction)}
          </Text>
        )}
      </Group>
      <Progress
        value={fraction === null ? 100 : fraction * 100}
        striped={fraction === null}
        animated={fraction === null}
        size={compact ? 'sm' : 'lg'}
        aria-label={`${label}: ${text}`}
      />
      {note && (
        <Text size="xs" c="dimmed" lineClamp={compact ? 1 : undefined}>
          {note}
        </Text>
      )}
    </Stack>
  );
}
