import { Button, Group, NativeSelect, Paper, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { IconListDetails, IconListSearch } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable } from '../../shared/components/list-table';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import {
  useProcessLog,
  type ProcessLogEntry,
  type ProcessLogFilters,
  type ProcessLogSeverity,
} from './process-log.api';
import { ProcessLogEntryModal } from './process-log-entry-modal';
import { PROCESS_TYPES, processLabel, SeverityBadge } from './process-log-labels';

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

/**
 * Admin Access → Process log: what background processes (for now the journal intake) reported about
 * the tenant's configurations, newest first. It refreshes itself while open.
 */
export function ProcessLogPage() {
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
      <PageHeader title={t('processLog.title')} description={t('processLog.description')} />
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
          <NativeSelect
            label={t('processLog.minSeverity')}
            value={draft.minSeverity}
            onChange={(event) => set('minSeverity')(event.currentTarget.value)}
            data={[
              { value: '', label: t('processLog.allSeverities') },
              { value: 'warning', label: t('processLog.warningsAndErrors') },
              { value: 'error', label: t('processLog.errorsOnly') },
            ]}
          />
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
                label={t('processLog.title')}
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
      {selected && <ProcessLogEntryModal entry={selected} onClose={() => setSelected(null)} />}
    </>
  );
}
