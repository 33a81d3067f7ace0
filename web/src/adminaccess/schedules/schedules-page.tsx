import { Anchor, Button, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarTime, IconEdit, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable, type ListColumn } from '../../shared/components/list-table';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { JobStatusBadge, jobStatusLabel } from './job-status-badge';
import { ScheduleAction } from './schedule-action';
import { ScheduleFormModal } from './schedule-form-modal';
import { configurationLabel, jobTypeLabel, useDescribeRecurrence } from './schedule-labels';
import {
  jobRunPath,
  useDeleteSchedule,
  useJobConfigurations,
  useRunConfiguration,
  useRunSchedule,
  useSaveSchedule,
  useSchedules,
  type JobConfiguration,
  type JobRun,
  type Schedule,
} from './schedules.api';

type Dialog = { kind: 'create' } | { kind: 'edit' | 'delete'; schedule: Schedule } | null;

const NONE = '—';

const scheduleName = (t: TFunction, schedule: Schedule) =>
  configurationLabel(t, {
    jobType: schedule.jobType,
    configId: schedule.configId,
    name: schedule.configName,
  });

/** A schedule whose configuration was deleted: it no longer runs. */
const isOrphaned = (schedule: Schedule) => schedule.configId !== null && schedule.configName === null;

/** Says what became of a "Run now": queued, or skipped because a run of it is already queued or running. */
function notifyRun(t: TFunction, run: JobRun, name: string) {
  if (run.status === 'skipped')
    notifications.show({ color: 'yellow', message: t('schedules.runSkipped', { name }) });
  else if (run.status === 'queued')
    notifications.show({ color: 'teal', message: t('schedules.runQueued', { name }) });
  else if (run.status === 'running')
    notifications.show({ color: 'teal', message: t('schedules.runRunning', { name }) });
  else
    notifications.show({
      color: 'teal',
      message: t('schedules.runStarted', { name, status: jobStatusLabel(t, run.status) }),
    });
}

/**
 * Admin Access → Schedules: when the background jobs run on their own (next run, last run's outcome),
 * and below, everything that can be run or scheduled, with "Run now". It refreshes itself while open.
 */
export function SchedulesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const describe = useDescribeRecurrence();
  const schedules = useSchedules();
  const configurations = useJobConfigurations();
  const toggleMutation = useSaveSchedule();
  const runSchedule = useRunSchedule();
  const runConfiguration = useRunConfiguration();
  const remove = useDeleteSchedule();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const showError = (error: Error) => notifications.show({ color: 'red', message: error.message });

  const toggle = (schedule: Schedule, enabled: boolean) =>
    toggleMutation.mutate(
      { id: schedule.id, changes: { enabled } },
      {
        onSuccess: (changed) =>
          notifications.show({
            color: 'teal',
            message: changed.enabled
              ? t('schedules.enabledMessage', { name: scheduleName(t, changed) })
              : t('schedules.disabledMessage', { name: scheduleName(t, changed) }),
          }),
        onError: showError,
      },
    );
  // While the change is on its way, the switch shows where it is going.
  const shownEnabled = (schedule: Schedule) =>
    toggleMutation.isPending &&
    toggleMutation.variables.id === schedule.id &&
    'changes' in toggleMutation.variables &&
    toggleMutation.variables.changes.enabled !== undefined
      ? toggleMutation.variables.changes.enabled
      : schedule.enabled;

  const runNow = (schedule: Schedule) =>
    runSchedule.mutate(schedule.id, {
      onSuccess: (run) => notifyRun(t, run, scheduleName(t, schedule)),
      onError: showError,
    });
  const runNowConfiguration = (configuration: JobConfiguration, name: string) =>
    runConfiguration.mutate(configuration, {
      onSuccess: (run) => notifyRun(t, run, name),
      onError: showError,
    });

  const createButton = (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setDialog({ kind: 'create' })}>
      {t('schedules.create')}
    </Button>
  );
  const columns: ListColumn[] = [
    t('schedules.configuration'),
    t('schedules.recurrence'),
    t('schedules.timeZone'),
    t('schedules.nextRun'),
    t('schedules.lastRun'),
    t('schedules.enabled'),
  ];
  const configurationColumns: ListColumn[] = [
    t('schedules.configuration'),
    t('schedules.jobType'),
    t('schedules.title'),
  ];

  return (
    <>
      <PageHeader
        title={t('schedules.title')}
        description={t('schedules.description')}
        actions={createButton}
      />
      <QueryStates
        query={schedules}
        empty={
          <EmptyState
            icon={<IconCalendarTime size={28} />}
            title={t('schedules.emptyTitle')}
            description={t('schedules.emptyDescription')}
          />
        }
      >
        {(data) => (
          <ListTable label={t('schedules.title')} columns={columns} withActions minWidth={960}>
            {data.map((schedule) => {
              const name = scheduleName(t, schedule);
              const orphaned = isOrphaned(schedule);
              return (
                <Table.Tr key={schedule.id} data-testid={`schedule-${schedule.id}`}>
                  <Table.Td>
                    <Text size="sm" fw={500} c={orphaned ? 'red' : undefined}>
                      {name}
                    </Text>
                    {schedule.configId !== null && (
                      <Text size="xs" c="dimmed">
                        {jobTypeLabel(t, schedule.jobType)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{describe(schedule.recurrence)}</Table.Td>
                  <Table.Td>{schedule.timeZone}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {schedule.nextRunAt === null ? NONE : format.dateTime(schedule.nextRunAt)}
                  </Table.Td>
                  <Table.Td>
                    {schedule.lastRun === null ? (
                      NONE
                    ) : (
                      <Stack gap={2} align="flex-start">
                        <Anchor
                          component={Link}
                          to={jobRunPath(schedule.lastRun.id)}
                          underline="never"
                          aria-label={t('schedules.lastRunOf', {
                            name,
                            status: jobStatusLabel(t, schedule.lastRun.status),
                          })}
                        >
                          <JobStatusBadge status={schedule.lastRun.status} />
                        </Anchor>
                        {schedule.lastRun.finishedAt !== null && (
                          <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                            {format.dateTime(schedule.lastRun.finishedAt)}
                          </Text>
                        )}
                      </Stack>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      checked={shownEnabled(schedule)}
                      onChange={(event) => toggle(schedule, event.currentTarget.checked)}
                      aria-label={t('schedules.enabledOf', { name })}
                    />
                  </Table.Td>
                  <Table.Td>
                    <RowActions>
                      <RowAction
                        label={t('schedules.editOf', { name })}
                        icon={IconEdit}
                        onClick={() => setDialog({ kind: 'edit', schedule })}
                      />
                      <RowAction
                        label={t('schedules.runNowOf', { name })}
                        icon={IconPlayerPlay}
                        onClick={() => runNow(schedule)}
                        disabledReason={orphaned ? t('schedules.configDeletedHint') : undefined}
                      />
                      <RowAction
                        label={t('schedules.deleteOf', { name })}
                        icon={IconTrash}
                        color="red"
                        onClick={() => setDialog({ kind: 'delete', schedule })}
                      />
                    </RowActions>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </ListTable>
        )}
      </QueryStates>

      <Stack gap={4} mt="xl" mb="md">
        <Title order={2} size="h3">
          {t('schedules.configurationsTitle')}
        </Title>
        <Text c="dimmed" size="sm">
          {t('schedules.configurationsDescription')}
        </Text>
      </Stack>
      <QueryStates query={configurations} empty={<EmptyState title={t('schedules.configurationsEmpty')} />}>
        {(data) => (
          <ListTable
            label={t('schedules.configurationsTitle')}
            columns={configurationColumns}
            withActions
            minWidth={720}
          >
            {data.map((configuration) => {
              const name = configurationLabel(t, configuration);
              const own = (schedules.data ?? []).filter(
                (schedule) =>
                  schedule.jobType === configuration.jobType && schedule.configId === configuration.configId,
              );
              return (
                <Table.Tr key={`${configuration.jobType}:${configuration.configId ?? ''}`}>
                  <Table.Td fw={500}>{name}</Table.Td>
                  <Table.Td>{jobTypeLabel(t, configuration.jobType)}</Table.Td>
                  <Table.Td>
                    {own.length === 0 ? (
                      <Text size="sm" c="dimmed">
                        {t('schedules.notScheduled')}
                      </Text>
                    ) : (
                      <Stack gap={2}>
                        {own.map((schedule) => (
                          <Text key={schedule.id} size="sm" c={schedule.enabled ? undefined : 'dimmed'}>
                            {schedule.enabled
                              ? describe(schedule.recurrence)
                              : t('schedules.disabledSchedule', {
                                  recurrence: describe(schedule.recurrence),
                                })}
                          </Text>
                        ))}
                      </Stack>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <RowActions>
                      <ScheduleAction
                        jobType={configuration.jobType}
                        configId={configuration.configId}
                        configName={name}
                      />
                      <RowAction
                        label={t('schedules.runNowOf', { name })}
                        icon={IconPlayerPlay}
                        onClick={() => runNowConfiguration(configuration, name)}
                      />
                    </RowActions>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </ListTable>
        )}
      </QueryStates>

      {dialog?.kind === 'create' && <ScheduleFormModal onClose={close} />}
      {dialog?.kind === 'edit' && (
        <ScheduleFormModal key={dialog.schedule.id} schedule={dialog.schedule} onClose={close} />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={t('schedules.deleteTitle')}
          message={t('schedules.deleteMessage', {
            name: scheduleName(t, dialog.schedule),
            recurrence: describe(dialog.schedule.recurrence),
          })}
          confirmLabel={t('schedules.delete')}
          danger
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(dialog.schedule.id, {
              onSuccess: () => {
                notifications.show({
                  color: 'teal',
                  message: t('schedules.deleted', { name: scheduleName(t, dialog.schedule) }),
                });
                remove.reset();
                close();
              },
            })
          }
          onClose={() => {
            remove.reset();
            close();
          }}
        />
      )}
    </>
  );
}
