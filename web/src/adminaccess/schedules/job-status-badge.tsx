import { Badge } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { JobStatus } from './schedules.api';

/** A run's status in words; `warnings` reads "Succeeded with warnings". */
export function jobStatusLabel(t: TFunction, status: JobStatus): string {
  switch (status) {
    case 'queued':
      return t('schedules.status.queued');
    case 'running':
      return t('schedules.status.running');
    case 'succeeded':
      return t('schedules.status.succeeded');
    case 'warnings':
      return t('schedules.status.warnings');
    case 'failed':
      return t('schedules.status.failed');
    case 'cancelled':
      return t('schedules.status.cancelled');
    case 'interrupted':
      return t('schedules.status.interrupted');
    case 'skipped':
      return t('schedules.status.skipped');
  }
}

export const JOB_STATUS_COLORS: Record<JobStatus, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'teal',
  warnings: 'orange',
  failed: 'red',
  cancelled: 'gray',
  interrupted: 'orange',
  skipped: 'gray',
};

/** A job run's status as a coloured badge (Schedules' last run, the process log's runs). */
export function JobStatusBadge({ status }: { status: JobStatus }) {
  const { t } = useTranslation();
  return (
    <Badge
      color={JOB_STATUS_COLORS[status]}
      variant={status === 'running' || status === 'queued' ? 'outline' : 'light'}
      style={{ minWidth: 'max-content' }}
      data-status={status}
    >
      {jobStatusLabel(t, status)}
    </Badge>
  );
}
