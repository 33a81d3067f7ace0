import {
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
} from '@mantine/core';
import { IconHistory, IconListDetails, IconListSearch, IconMessages } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable } from '../../shared/components/list-table';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { ADMIN_JOBS_API, adminRunPath } from './job-runs.api';
import { JobRunsList } from './job-runs-list';
import {
  useProcessLog,
  type ProcessLogEntry,
  type ProcessLogFilters,
  type ProcessLogSeverity,
} from './process-log.api';
import { ProcessLogEntryModal } from './process-log-entry-modal';
import { MinSeveritySelect, PROCESS_TYPES, processLabel, SeverityBadge } from './process-log-labels';
import { RowLink } from './row-link';

interface Draft {
  process: string;
  minSeverity: '' | ProcessLogSeverity;
  from: string;
  to: string;
}

const EMPTY_DRAFT: Draft = { process: '', minSeverity: '', from: '', to: '' };

/** The start of a local day ("2026-11-24" from a date input), `days` later; undefined when empty. */
function dayStart(day: string, days = 0): number | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + days);
  const ms = date.getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

function toFilters(draft: Draft): ProcessLogFilters {
  return {
    process: draft.process || undefined,
    minSeverity: draft.minSeverity || undefined,
    since: dayStart(draft.from),
    // The whole "to" day: the server's upper bound is exclusive.
    until: dayStart(draft.to, 1),
  };
}

type ProcessLogTab = 'runs' | 'messages';

/**
 * Admin Access → Process log, in two tabs: the job runs (the default) and the messages the background
 * processes wrote about the tenant's configurations, both newest first and refreshing themselves. The
 * tab and the runs' filters are search parameters (?tab=messages, ?status=failed&since=…), so links
 * (e.g. from the dashboard) open a filtered view.
 */
export function ProcessLogPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab: ProcessLogTab = params.get('tab') === 'messages' ? 'messages' : 'runs';
  const selectTab = (value: string | null) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value === 'messages') next.set('tab', 'messages');
      else next.delete('tab');
      return next;
    });

  return (
    <>
      <PageHeader title={t('processLog.title')} description={t('processLog.description')} />
      {/* Only the open tab is mounted: it alone refreshes, and its fields' labels stay unique. */}
      <Tabs value={tab} onChange={selectTab} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="runs" leftSection={<IconHistory size={16} aria-hidden />}>
            {t('processLog.tabRuns')}
          </Tabs.Tab>
          <Tabs.Tab value="messages" leftSection={<IconMessages size={16} aria-hidden />}>
            {t('processLog.tabMessages')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="runs">
          <JobRunsList base={ADMIN_JOBS_API} label={t('processLog.tabRuns')} runPath={adminRunPath} />
        </Tabs.Panel>
        <Tabs.Panel value="messages">
          <ProcessLogMessages />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

/** The messages the background processes wrote (the journal intake's and the job runs'), newest first. */
function ProcessLogMessages() {
  const { t } = useTranslation();
  const format = useFormat();
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [filters, setFilters] = useState<ProcessLogFilters>({});
  const [selected, setSelected] = useState<ProcessLogEntry | null>(null);
  const log = useProcessLog(filters);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(toFilters(draft));
  };
  const reset = () => {
    setDraft(EMPTY_DRAFT);
    setFilters({});
  };
  const set = (key: keyof Draft) => (value: string) => setDraft((current) => ({ ...current, [key]: value }));

  return (
    <>
      <Paper withBorder p="md" mb="md" component="form" onSubmit={apply} aria-label={t('processLog.filters')}>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <NativeSelect
            label={t('processLog.process')}
            value={draft.process}
            onChange={(event) => set('process')(event.currentTarget.value)}
            data={[
              { value: '', label: t('processLog.anyProcess') },
              ...PROCESS_TYPES.map((process) => ({ value: process, label: processLabel(t, process) })),
            ]}
          />
          <MinSeveritySelect value={draft.minSeverity} onChange={set('minSeverity')} />
          <TextInput
            type="date"
            label={t('processLog.from')}
            value={draft.from}
            onChange={(event) => set('from')(event.currentTarget.value)}
          />
          <TextInput
            type="date"
            label={t('processLog.to')}
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

      <QueryStates
        query={log}
        isEmpty={(data) => data.pages.every((page) => page.entries.length === 0)}
        empty={
          <EmptyState
            icon={<IconListSearch size={28} />}
            title={t('processLog.emptyTitle')}
            description={t('processLog.emptyDescription')}
          />
        }
      >
        {(data) => {
          const entries = data.pages.flatMap((page) => page.entries);
          return (
            <Stack>
              <ListTable
                label={t('processLog.tabMessages')}
                columns={[
                  t('processLog.time'),
                  t('processLog.severity'),
                  t('processLog.process'),
                  t('processLog.configuration'),
                  t('processLog.message'),
                ]}
                withActions
                minWidth={900}
              >
                {entries.map((entry) => (
                  <Table.Tr key={entry.id} data-testid="process-log-row">
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.dateTime(entry.at)}</Table.Td>
                    <Table.Td>
                      <SeverityBadge severity={entry.severity} />
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{processLabel(t, entry.process)}</Table.Td>
                    <Table.Td>{entry.subjectName || '–'}</Table.Td>
                    <Table.Td>
                      <Text size="sm" lineClamp={2} style={{ wordBreak: 'break-word' }}>
                        {entry.message}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <RowActions>
                        {entry.runId !== null && (
                          <RowLink
                            label={t('processLog.showRun')}
                            icon={IconHistory}
                            to={adminRunPath(entry.runId)}
                          />
                        )}
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
              <Group justify="space-between">
                <Text size="sm" c="dimmed">
                  {t('processLog.shown', { count: entries.length })} · {t('processLog.autoRefresh')}
                </Text>
                {log.hasNextPage ? (
                  <Button
                    variant="default"
                    loading={log.isFetchingNextPage}
                    onClick={() => void log.fetchNextPage()}
                  >
                    {t('processLog.loadMore')}
                  </Button>
                ) : (
                  <Text size="sm" c="dimmed">
                    {t('processLog.allLoaded')}
                  </Text>
                )}
              </Group>
            </Stack>
          );
        }}
      </QueryStates>
      {selected && (
        <ProcessLogEntryModal entry={selected} onClose={() => setSelected(null)} runPath={adminRunPath} />
      )}
    </>
  );
}
