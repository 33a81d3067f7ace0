import { IconClock } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RowAction } from '../../shared/components/row-action';
import { ScheduleFormModal } from './schedule-form-modal';

interface ScheduleActionProps {
  jobType: string;
  /** Null for job types without configurations (the archive integrity check). */
  configId: number | null;
  /** The configuration's name as its row shows it; it names the button ("Schedule <name>"). */
  configName: string;
  'data-testid'?: string;
}

/**
 * The clock icon in a configuration's row actions (directory services, archiving profiles, …): it
 * opens the schedule dialog for that configuration. The schedules themselves are listed and changed
 * under Schedules.
 */
export function ScheduleAction({
  jobType,
  configId,
  configName,
  'data-testid': testId,
}: ScheduleActionProps) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <RowAction
        label={t('schedules.scheduleAction', { name: configName })}
        icon={IconClock}
        onClick={() => setOpen(true)}
        data-testid={testId}
      />
      {open && (
        <ScheduleFormModal target={{ jobType, configId, configName }} onClose={() => setOpen(false)} />
      )}
    </>
  );
}
