import {
  Anchor,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { IconListDetails, IconListSearch } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable } from '../../shared/components/list-table';
import { QueryStates } from '../../shared/components/query-states';
import { RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import {
  JobStatusBadge,
  JOB_TYPES,
  counterLabel,
  formatDuration,
  jobStatusLabel,
  jobTypeLabel,
  runConfigurationLabel,
  runDuration,
  RunProgress,
  triggerLabel,
} from './job-run-labels';
import {
  isActiveRun,
  JOB_RUN_STATUSES,
  useJobRuns,
  type JobRun,
  type JobRunFilters,
  type JobRunStatus,
} from './job-runs.api';
import type { ProcessLogSeverity } from './process-log.api';
import { MinSeveritySelect } from './process-log-labels';
import { RowLink } from './row-link';

/** The search parameters the filters live in, named as the API's (so a link can open a filtered view). */
const FILTER_PARAMS = ['jobType', 'requestId', 'status', 'minSeverity', 'since', 'until', 'tenant'] as const;

const isStatus = (value: string | null): value is JobRunStatus =>
  (JOB_RUN_STATUSES as readonly string[]).includes(value ?? '');

/** The filters of a URL such as `?status=failed&since=1764000000000`; anything unknown is ignored. */
export function runFiltersFromParams(params: URLSearchParams, withTenant: boolean): JobRunFilters {
  const text = (key: string) => params.get(key)?.trim() || undefined;
  const ms = (key: string) => {
    const value = Number(params.get(key) ?? '');
    return params.get(key) && Number.isInteger(value) ? value : undefined;
  };
  const status = params.get('status');
  const minSeverity = params.get('minSeverity');
  return {
    jobType: text('jobType'),
    requestId: text('requestId'),
    status: isStatus(status) ? status : undefined,
    minSeverity: minSeverity === 'warning' || minSeverity === 'error' ? minSeverity : undefined,
    since: ms('since'),
    until: ms('until'),
    tenant: withTenant ? text('tenant') : undefined,
  };
}

/** A search string for links into the runs list: `runFiltersQuery({ status: 'running' })` → "?status=running". */
export function runFiltersQuery(filters: JobRunFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_PARAMS) {
    const value = filters[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface Draft {
  jobType: string;
  requestId: string;
  status: '' | JobRunStatus;
  minSeverity: '' | ProcessLogSeverity;
  /** datetime-local values ("2026-11-24T09:30"), local time. */
  from: string;
  to: string;
  tenant: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A time as a datetime-local input's value, to the minute. */
function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return '';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

function fromLocalInput(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

const MINUTE = 60_000;

function draftFrom(filters: JobRunFilters): Draft {
  return {
    jobType: filters.jobType ?? '',
    requestId: filters.requestId ?? '',
    status: filters.status ?? '',
    minSeverity: filters.minSeverity ?? '',
    from: toLocalInput(filters.since),
    // The server's upper bound is exclusive; the field shows the last minute that is included.
    to: toLocalInput(filters.until === undefined ? undefined : filters.until - MINUTE),
    tenant: filters.tenant ?? '',
  };
}

function filtersFrom(draft: Draft, before: JobRunFilters): JobRunFilters {
  const shown = draftFrom(before);
  const to = fromLocalInput(draft.to);
  return {
    jobType: draft.jobType.trim() || undefined,
    requestId: draft.requestId.trim() || undefined,
    status: draft.status || undefined,
    minSeverity: draft.minSeverity || undefined,
    // An untouched field keeps its exact time (the dashboard links with a to-the-millisecond `since`).
    since: draft.from === shown.from ? before.since : fromLocalInput(draft.from),
    until: draft.to === shown.to ? before.until : to === undefined ? undefined : to + MINUTE,
    tenant: draft.tenant.trim() || undefined,
  };
}

interface JobRunsListProps {
  /** The API base of the console: ADMIN_JOBS_API or SYSTEM_JOBS_API. */
  base: string;
  /** The table's accessible name. */
  label: string;
  /** Where a run's page is. */
  runPath: (runId: number) => string;
  /** The System console: a tenant column (linking here when given) and a filter by tenant slug. */
  withTenant?: boolean;
  tenantPath?: (tenantId: number) => string;
}

/**
 * Job runs newest first, with filters kept in the URL's search parameters (other parameters, such as
 * the process log's `tab`, are left alone). Shared by Admin Access's process log and the System console.
 */
export function JobRunsList({ base, label, runPath, withTenant = false, tenantPath }: JobRunsListProps) {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const timeOfDay = (ms: number) =>
    new Intl.DateTimeFormat(i18n.language, { timeStyle: 'medium' }).format(ms);
  const [params, setParams] = useSearchParams();
  const filters = runFiltersFromParams(params, withTenant);
  const runs = useJobRuns(base, filters);

  const applyFilters = (next: JobRunFilters) => {
    setParams((current) => {
      const updated = new URLSearchParams(current);
      for (const key of FILTER_PARAMS) updated.delete(key);
      for (const [key, value] of new URLSearchParams(runFiltersQuery(next))) updated.set(key, value);
      return updated;
    });
  };
  const filterKey = runFiltersQuery(filters);

  const columns = [
    ...(withTenant ? [t('jobRuns.tenant')] : []),
    t('jobRuns.time'),
    t('jobRuns.configuration'),
    t('jobRuns.trigger'),
    t('jobRuns.status'),
    t('jobRuns.progress'),
    t('jobRuns.countersTitle'),
    { label: t('jobRuns.duration'), align: 'right' as const },
  ];

  return (
    <>
      {/* Remounted when the URL's filters change (e.g. a link from the dashboard), so the fields follow. */}
      <RunFilters key={filterKey} filters={filters} withTenant={withTenant} onApply={applyFilters} />
      <QueryStates
        query={runs}
        isEmpty={(data) => data.pages.every((page) => page.runs.length === 0)}
        empty={
          <EmptyState
            icon={<IconListSearch size={28} />}
            title={t('jobRuns.emptyTitle')}
            description={t('jobRuns.emptyDescription')}
          />
        }
      >
        {(data) => {
          const all = data.pages.flatMap((page) => page.runs);
          const active = all.some(isActiveRun);
          return (
            <Stack>
              <ListTable label={label} columns={columns} withActions minWidth={withTenant ? 1000 : 900}>
                {all.map((run) => {
                  const duration = runDuration(run, runs.dataUpdatedAt);
                  return (
                    <Table.Tr
                      key={run.id}
                      data-testid="job-run-row"
                      data-status={run.status}
                      data-request-id={run.requestId}
                    >
                      {withTenant && (
                        <Table.Td>
                          <TenantCell run={run} tenantPath={tenantPath} />
                        </Table.Td>
                      )}
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <Anchor component={Link} to={runPath(run.id)} size="sm" display="block">
                          {/* Date and time on two lines keep the column narrow. */}
                          {format.date(run.startedAt ?? run.queuedAt)}
                          <br />
                          {timeOfDay(run.startedAt ?? run.queuedAt)}
                        </Anchor>
                        {run.startedAt === null && (
                          <Text size="xs" c="dimmed">
                            {t('jobRuns.notStarted')}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{runConfigurationLabel(t, run)}</Text>
                        {/* Without configurations (configId null) the name is the type's already. */}
                        {run.configId !== null && (
                          <Text size="xs" c="dimmed">
                            {jobTypeLabel(t, run.jobType)}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>{triggerLabel(t, run.trigger)}</Table.Td>
                      <Table.Td>
                        <Stack gap={2} align="flex-start">
                          <JobStatusBadge status={run.status} />
                          {run.cancelRequested && isActiveRun(run) && (
                            <Text size="xs" c="dimmed">
                              {t('jobRuns.stopping')}
                            </Text>
                          )}
                        </Stack>
                      </Table.Td>
                      <Table.Td>
                        <RunProgress
                          run={run}
                          compact
                          label={t('jobRuns.progressOfRun', { requestId: run.requestId })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <RunCounters counters={run.counters} />
                      </Table.Td>
                      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                        {duration === null ? '–' : formatDuration(duration, i18n.language)}
                      </Table.Td>
                      <Table.Td>
                        <RowActions>
                          <RowLink label={t('jobRuns.showRun')} icon={IconListDetails} to={runPath(run.id)} />
                        </RowActions>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </ListTable>
              <Group justify="space-between">
                <Text size="sm" c="dimmed">
                  {t('jobRuns.shown', { count: all.length })} ·{' '}
                  {active ? t('jobRuns.refreshActive') : t('jobRuns.refreshIdle')}
                </Text>
                {runs.hasNextPage ? (
                  <Button
                    variant="default"
                    loading={runs.isFetchingNextPage}
                    onClick={() => void runs.fetchNextPage()}
                  >
                    {t('jobRuns.loadMore')}
                  </Button>
                ) : (
                  <Text size="sm" c="dimmed">
                    {t('jobRuns.allLoaded')}
                  </Text>
                )}
              </Group>
            </Stack>
          );
        }}
      </QueryStates>
    </>
  );
}

/** One counter a line ("Checked: 5,000"); a damaged message is a problem, so that one is red. */
function RunCounters({ counters }: { counters: Record<string, number> }) {
  const { t } = useTranslation();
  const format = useFormat();
  const entries = Object.entries(counters);
  if (entries.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        –
      </Text>
    );
  }
  return (
    <Stack gap={0}>
      {entries.map(([name, value]) => (
        <Text
          key={name}
          size="sm"
          c={name === 'damaged' && value > 0 ? 'red' : undefined}
          style={{ whiteSpace: 'nowrap' }}
        >
          {counterLabel(t, name)}: {format.number(value)}
        </Text>
      ))}
    </Stack>
  );
}

function TenantCell({ run, tenantPath }: { run: JobRun; tenantPath?: (tenantId: number) => string }) {
  const { t } = useTranslation();
  if (!run.tenant) {
    return (
      <Text size="sm" c="dimmed">
        {t('jobRuns.installation')}
      </Text>
    );
  }
  return (
    <Stack gap={0}>
      {tenantPath ? (
        <Anchor component={Link} to={tenantPath(run.tenant.id)} size="sm">
          {run.tenant.name}
        </Anchor>
      ) : (
        <Text size="sm">{run.tenant.name}</Text>
      )}
      <Text size="xs" c="dimmed" ff="monospace">
        {run.tenant.slug}
      </Text>
    </Stack>
  );
}

interface RunFiltersProps {
  filters: JobRunFilters;
  withTenant: boolean;
  onApply: (filters: JobRunFilters) => void;
}

function RunFilters({ filters, withTenant, onApply }: RunFiltersProps) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Draft>(() => draftFrom(filters));
  const set = (key: keyof Draft) => (value: string) => setDraft((current) => ({ ...current, [key]: value }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    onApply(filtersFrom(draft, filters));
  };
  const reset = () => {
    setDraft(draftFrom({}));
    onApply({});
  };
  // A type from a link that this version does not know stays selectable as its code.
  const types: string[] = [...JOB_TYPES];
  if (draft.jobType && !types.includes(draft.jobType)) types.push(draft.jobType);

  return (
    <Paper withBorder p="md" mb="md" component="form" onSubmit={apply} aria-label={t('jobRuns.filters')}>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        {withTenant && (
          <TextInput
            label={t('jobRuns.tenantFilter')}
            placeholder={t('jobRuns.tenantFilterPlaceholder')}
            value={draft.tenant}
            onChange={(event) => set('tenant')(event.currentTarget.value)}
            autoCapitalize="none"
            spellCheck={false}
          />
        )}
        <NativeSelect
          label={t('jobRuns.type')}
          value={draft.jobType}
          onChange={(event) => set('jobType')(event.currentTarget.value)}
          data={[
            { value: '', label: t('jobRuns.anyType') },
            ...types.map((type) => ({ value: type, label: jobTypeLabel(t, type) })),
          ]}
        />
        <NativeSelect
          label={t('jobRuns.status')}
          value={draft.status}
          onChange={(event) => set('status')(event.currentTarget.value)}
          data={[
            { value: '', label: t('jobRuns.anyStatus') },
            ...JOB_RUN_STATUSES.map((status) => ({ value: status, label: jobStatusLabel(t, status) })),
          ]}
        />
        <MinSeveritySelect value={draft.minSeverity} onChange={set('minSeverity')} />
        <TextInput
          label={t('jobRuns.requestId')}
          value={draft.requestId}
          onChange={(event) => set('requestId')(event.currentTarget.value)}
          autoCapitalize="none"
          spellCheck={false}
        />
        <TextInput
          type="datetime-local"
          label={t('jobRuns.from')}
          value={draft.from}
          onChange={(event) => set('from')(event.currentTarget.value)}
        />
        <TextInput
          type="datetime-local"
          label={t('jobRuns.to')}
          value={draft.to}
          onChange={(event) => set('to')(event.currentTarget.value)}
        />
      </SimpleGrid>
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={reset}>
          {t('processLog.resetFilters')}
        </Button>
        <Button type="submit">{t('processLog.applyFilters')}</Button>
      </Group>
    </Paper>
  );
}
