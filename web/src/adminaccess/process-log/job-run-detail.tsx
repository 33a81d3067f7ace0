import {
  Alert,
  Anchor,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertTriangle,
  IconCheck,
  IconCopy,
  IconHourglassHigh,
  IconListDetails,
  IconPlayerStop,
} from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ActionButton } from '../../shared/components/action-button';
import { BackLink } from '../../shared/components/back-link';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { CopyValueButton } from '../../shared/components/copy-value';
import { ListTable } from '../../shared/components/list-table';
import { NotFoundPage } from '../../shared/components/not-found-page';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { DetailsTable } from '../details-table';
import { describeRecurrence } from '../schedules/schedule-labels';
import {
  counterLabel,
  formatDuration,
  JobStatusBadge,
  jobTypeLabel,
  runConfigurationLabel,
  runDuration,
  RunProgress,
  triggerLabel,
} from './job-run-labels';
import { isActiveRun, useCancelJobRun, useJobRun, type JobRunDetail } from './job-runs.api';
import type { ProcessLogEntry } from './process-log.api';
import { ProcessLogEntryModal } from './process-log-entry-modal';
import { SeverityBadge } from './process-log-labels';

/** The server lists at most this many messages of a run; the rest are in the process log. */
const MAX_ENTRIES_PER_RUN = 1_000;

interface JobRunDetailViewProps {
  /** The API base of the console: ADMIN_JOBS_API or SYSTEM_JOBS_API. */
  base: string;
  /** NaN when the route's id is not a number. */
  runId: number;
  /** The list of runs, for the back link. */
  listPath: string;
  /** Where another run's page is (the interrupted run a re-run repeats). */
  runPath: (runId: number) => string;
  /** Whether the session may cancel runs (Admin Access: the Admin role). */
  canCancel: boolean;
  /** Admin Access: the schedule links to the Schedules page. */
  schedulesPath?: string;
  /** The System console: the tenant links to its page. */
  tenantPath?: (tenantId: number) => string;
}

/**
 * One run: status, where it came from, live progress while it is queued or running, its counters, its
 * error and its messages; "Cancel run" and "Copy as JSON". Shared by Admin Access and the System console.
 */
export function JobRunDetailView(props: JobRunDetailViewProps) {
  const { base, runId, listPath } = props;
  const { t } = useTranslation();
  const run = useJobRun(base, runId);
  return (
    <>
      <BackLink to={listPath} label={t('jobRuns.backToList')} />
      {!Number.isInteger(runId) ? (
        <NotFoundPage home={listPath} />
      ) : (
        <QueryStates query={run}>
          {(data) => <RunDetail {...props} detail={data} updatedAt={run.dataUpdatedAt} />}
        </QueryStates>
      )}
    </>
  );
}

interface RunDetailProps extends JobRunDetailViewProps {
  detail: JobRunDetail;
  /** When the shown answer arrived: a running run's duration is counted up to it. */
  updatedAt: number;
}

function RunDetail({
  detail,
  updatedAt,
  base,
  runPath,
  canCancel,
  schedulesPath,
  tenantPath,
}: RunDetailProps) {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const { run, entries } = detail;
  const [confirming, setConfirming] = useState(false);
  const [selected, setSelected] = useState<ProcessLogEntry | null>(null);
  const cancel = useCancelJobRun(base, run.id);
  const active = isActiveRun(run);
  const name = runConfigurationLabel(t, run);
  const title = t('jobRuns.detailTitle', { name });
  const duration = runDuration(run, updatedAt);
  const counters = Object.entries(run.counters);
  const scheduleText = run.schedule
    ? `${describeRecurrence(t, i18n.language, run.schedule.recurrence)} (${run.schedule.timeZone})`
    : '';

  const closeConfirm = () => {
    cancel.reset();
    setConfirming(false);
  };
  const confirmCancel = () =>
    cancel.mutate(undefined, {
      onSuccess: (after) => {
        notifications.show({
          color: 'teal',
          message:
            after.status === 'cancelled'
              ? t('jobRuns.cancelledMessage')
              : t('jobRuns.cancelRequestedMessage'),
        });
        closeConfirm();
      },
    });

  const rows: Array<[string, ReactNode]> = [
    [t('jobRuns.status'), <JobStatusBadge key="status" status={run.status} />],
    [
      t('jobRuns.type'),
      <Group key="type" gap="xs">
        <Text size="sm">{jobTypeLabel(t, run.jobType)}</Text>
        <Code>{run.jobType}</Code>
      </Group>,
    ],
    [t('jobRuns.configuration'), name],
  ];
  if (run.tenant !== undefined) {
    rows.push([
      t('jobRuns.tenant'),
      run.tenant === null ? (
        t('jobRuns.installation')
      ) : tenantPath ? (
        <Anchor key="tenant" component={Link} to={tenantPath(run.tenant.id)} size="sm">
          {`${run.tenant.name} (${run.tenant.slug})`}
        </Anchor>
      ) : (
        `${run.tenant.name} (${run.tenant.slug})`
      ),
    ]);
  }
  rows.push(
    [t('jobRuns.trigger'), triggerLabel(t, run.trigger)],
    [
      t('jobRuns.schedule'),
      run.schedule ? (
        schedulesPath ? (
          <Anchor key="schedule" component={Link} to={schedulesPath} size="sm">
            {scheduleText}
          </Anchor>
        ) : (
          scheduleText
        )
      ) : run.trigger === 'schedule' ? (
        t('jobRuns.scheduleDeleted')
      ) : (
        '–'
      ),
    ],
  );
  if (run.retriedFrom) {
    rows.push([
      t('jobRuns.retriedFrom'),
      <Anchor
        key="retried"
        component={Link}
        to={runPath(run.retriedFrom.id)}
        size="sm"
        ff="monospace"
        aria-label={t('jobRuns.showRetriedFrom', { requestId: run.retriedFrom.requestId })}
      >
        {run.retriedFrom.requestId}
      </Anchor>,
    ]);
  }
  rows.push(
    [
      t('jobRuns.requestId'),
      <Group key="request" gap="xs" wrap="nowrap">
        <Code data-testid="job-run-request-id">{run.requestId}</Code>
        <CopyValueButton value={run.requestId} label={t('jobRuns.requestId')} />
      </Group>,
    ],
    [t('jobRuns.runId'), run.id],
    [t('jobRuns.attempt'), format.number(run.attempt)],
    [t('processLog.severity'), <SeverityBadge key="severity" severity={run.severity} />],
    [t('jobRuns.queuedAt'), format.dateTime(run.queuedAt)],
    [t('jobRuns.startedAt'), run.startedAt === null ? '–' : format.dateTime(run.startedAt)],
    [t('jobRuns.finishedAt'), run.finishedAt === null ? '–' : format.dateTime(run.finishedAt)],
    [t('jobRuns.duration'), duration === null ? '–' : formatDuration(duration, i18n.language)],
  );

  return (
    <>
      <PageHeader
        documentTitle={title}
        title={
          <Group gap="sm" component="span">
            {title}
            <JobStatusBadge status={run.status} />
          </Group>
        }
        description={`${jobTypeLabel(t, run.jobType)} · ${t('jobRuns.runNumber', { id: run.id })}`}
        actions={
          <>
            {canCancel && active && (
              <ActionButton
                color="red"
                variant="light"
                leftSection={<IconPlayerStop size={18} aria-hidden />}
                onClick={() => setConfirming(true)}
                disabledReason={run.cancelRequested ? t('jobRuns.cancelAlreadyRequested') : undefined}
              >
                {t('jobRuns.cancel')}
              </ActionButton>
            )}
            <CopyJsonButton value={JSON.stringify(detail, null, 2)} />
          </>
        }
      />
      <Stack gap="lg" data-testid="job-run-detail" data-status={run.status}>
        {run.cancelRequested && active && (
          <Alert color="yellow" variant="light" icon={<IconHourglassHigh aria-hidden />}>
            {t('jobRuns.cancelRequested')}
          </Alert>
        )}
        {active && (
          <Card withBorder component="section" aria-labelledby="job-run-progress-title">
            <Title order={2} size="h4" mb="sm" id="job-run-progress-title">
              {t('jobRuns.progress')}
            </Title>
            {run.status === 'queued' ? (
              <Text c="dimmed">{t('jobRuns.waiting')}</Text>
            ) : run.progress ? (
              <RunProgress run={run} label={t('jobRuns.progress')} />
            ) : (
              <Text c="dimmed">{t('jobRuns.noProgress')}</Text>
            )}
            <Text size="xs" c="dimmed" mt="sm">
              {t('jobRuns.liveRefresh')}
            </Text>
          </Card>
        )}
        {run.error && (
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertTriangle aria-hidden />}
            title={t('jobRuns.error')}
            data-testid="job-run-error"
          >
            <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
              {run.error}
            </Text>
          </Alert>
        )}
        <DetailsTable rows={rows} />

        <Stack gap="xs" component="section" aria-labelledby="job-run-counters-title">
          <Title order={2} size="h4" id="job-run-counters-title">
            {t('jobRuns.countersTitle')}
          </Title>
          {counters.length === 0 ? (
            <Text c="dimmed" size="sm">
              {t('jobRuns.noCounters')}
            </Text>
          ) : (
            <ListTable
              label={t('jobRuns.countersTitle')}
              columns={[t('jobRuns.counter'), { label: t('jobRuns.value'), align: 'right' }]}
            >
              {counters.map(([counter, value]) => (
                <Table.Tr key={counter} data-testid={`job-run-counter-${counter}`}>
                  <Table.Td>{counterLabel(t, counter)}</Table.Td>
                  <Table.Td ta="right">{format.number(value)}</Table.Td>
                </Table.Tr>
              ))}
            </ListTable>
          )}
        </Stack>

        <Stack gap="xs" component="section" aria-labelledby="job-run-messages-title">
          <Title order={2} size="h4" id="job-run-messages-title">
            {t('jobRuns.messages')}
          </Title>
          {entries.length === 0 ? (
            <Text c="dimmed" size="sm">
              {t('jobRuns.noMessages')}
            </Text>
          ) : (
            <>
              <ListTable
                label={t('jobRuns.messages')}
                columns={[t('processLog.time'), t('processLog.severity'), t('processLog.message')]}
                withActions
                minWidth={700}
              >
                {entries.map((entry) => (
                  <Table.Tr key={entry.id} data-testid="job-run-message">
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.dateTime(entry.at)}</Table.Td>
                    <Table.Td>
                      <SeverityBadge severity={entry.severity} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" style={{ wordBreak: 'break-word' }}>
                        {entry.message}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <RowActions>
                        <RowAction
                          label={t('processLog.showDetails')}
                          icon={IconListDetails}
                          onClick={() => setSelected(entry)}
                        />
                      </RowActions>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </ListTable>
              {entries.length >= MAX_ENTRIES_PER_RUN && (
                <Text size="sm" c="dimmed">
                  {t('jobRuns.messagesTruncated', { limit: format.number(MAX_ENTRIES_PER_RUN) })}
                </Text>
              )}
            </>
          )}
        </Stack>
      </Stack>

      {confirming && (
        <ConfirmDialog
          title={t('jobRuns.cancelTitle')}
          message={
            run.status === 'queued'
              ? t('jobRuns.cancelQueuedMessage', { name })
              : t('jobRuns.cancelRunningMessage', { name })
          }
          confirmLabel={t('jobRuns.cancel')}
          danger
          pending={cancel.isPending}
          error={cancel.error}
          onConfirm={confirmCancel}
          onClose={closeConfirm}
        />
      )}
      {selected && <ProcessLogEntryModal entry={selected} onClose={() => setSelected(null)} />}
    </>
  );
}

/** Copies the whole detail (the run and its messages) as pretty-printed JSON. */
function CopyJsonButton({ value }: { value: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) => (
        <Button
          variant="default"
          color={copied ? 'teal' : undefined}
          leftSection={copied ? <IconCheck size={18} aria-hidden /> : <IconCopy size={18} aria-hidden />}
          onClick={copy}
        >
          {copied ? t('common.copied') : t('processLog.copyJson')}
        </Button>
      )}
    </CopyButton>
  );
}
