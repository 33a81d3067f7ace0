import { Badge, NativeSelect } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { jobTypeLabel } from './job-run-labels';
import type { ProcessLogSeverity } from './process-log.api';

/** The process types this version knows: the journal intake and the job types (a run logs as its type). */
export const PROCESS_TYPES = ['journal-intake', 'integrity-check'] as const;

/** A process type's name; one this version does not know yet is shown as the server's code. */
export function processLabel(t: TFunction, process: string): string {
  switch (process) {
    case 'journal-intake':
      return t('processLog.processJournalIntake');
    default:
      return jobTypeLabel(t, process);
  }
}

export function severityLabel(t: TFunction, severity: ProcessLogSeverity): string {
  switch (severity) {
    case 'info':
      return t('processLog.severityInfo');
    case 'warning':
      return t('processLog.severityWarning');
    case 'error':
      return t('processLog.severityError');
  }
}

const SEVERITY_COLORS: Record<ProcessLogSeverity, string> = { info: 'blue', warning: 'orange', error: 'red' };

export function SeverityBadge({ severity }: { severity: ProcessLogSeverity }) {
  const { t } = useTranslation();
  return (
    <Badge color={SEVERITY_COLORS[severity]} variant="light" style={{ minWidth: 'max-content' }}>
      {severityLabel(t, severity)}
    </Badge>
  );
}

/** "Minimum severity": all, warnings and errors, errors only ('' = all). */
export function MinSeveritySelect(props: { value: string; onChange: (value: string) => void }) {
  const { t } = useTranslation();
  return (
    <NativeSelect
      label={t('processLog.minSeverity')}
      value={props.value}
      onChange={(event) => props.onChange(event.currentTarget.value)}
      data={[
        { value: '', label: t('processLog.allSeverities') },
        { value: 'warning', label: t('processLog.warningsAndErrors') },
        { value: 'error', label: t('processLog.errorsOnly') },
      ]}
    />
  );
}
