import {
  ActionIcon,
  Badge,
  Button,
  Code,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { IconChevronDown, IconChevronRight, IconListSearch } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { Fragment, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditFilters, AuditOutcome, AuditPage } from '../api/types';
import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';
import { QueryStates } from '../components/query-states';
import { useFormat } from '../format';
import { useRealm } from '../session/realm-context';
import { auditKeys } from './audit-keys';

const PAGE_SIZE = 50;

function outcomeLabel(t: TFunction, outcome: AuditOutcome): string {
  switch (outcome) {
    case 'success':
      return t('audit.outcomeSuccess');
    case 'failure':
      return t('audit.outcomeFailure');
    case 'denied':
      return t('audit.outcomeDenied');
  }
}

/** Who acted: a system or gateway administrator, a tenant user, Postvault itself, or an unknown account. */
function actorKindLabel(t: TFunction, kind: string): string {
  switch (kind) {
    case 'system-admin':
      return t('audit.actorSystemAdmin');
    case 'gateway-admin':
      return t('audit.actorGatewayAdmin');
    case 'user':
      return t('audit.actorUser');
    case 'system':
      return t('audit.actorSystem');
    case 'anonymous':
      return t('audit.actorAnonymous');
    default:
      return kind;
  }
}

/** What an entry is about; a type this version does not know yet is shown as the server's code. */
function targetTypeLabel(t: TFunction, type: string): string {
  switch (type) {
    case 'tenant':
      return t('audit.targetTenant');
    case 'system-admin':
      return t('audit.targetSystemAdmin');
    case 'gateway-admin':
      return t('audit.targetGatewayAdmin');
    case 'gateway-mailbox':
      return t('audit.targetGatewayMailbox');
    case 'user':
      return t('audit.targetUser');
    case 'group':
      return t('audit.targetGroup');
    case 'domain':
      return t('audit.targetDomain');
    case 'mailbox':
      return t('audit.targetMailbox');
    case 'secret':
      return t('audit.targetSecret');
    case 'route':
      return t('audit.targetRoute');
    default:
      return type;
  }
}

const OUTCOME_COLORS: Record<AuditOutcome, string> = { success: 'teal', failure: 'red', denied: 'orange' };

interface Draft {
  action: string;
  actor: string;
  outcome: '' | AuditOutcome;
  from: string;
  to: string;
}

const EMPTY_DRAFT: Draft = { action: '', actor: '', outcome: '', from: '', to: '' };

/** "2026-11-24" from a date input, as the first or last millisecond of that local day. */
function dayToMs(day: string, end: boolean): number | undefined {
  if (!day) return undefined;
  const ms = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00.000'}`).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

function toFilters(draft: Draft): AuditFilters {
  return {
    action: draft.action.trim() || undefined,
    actor: draft.actor.trim() || undefined,
    outcome: draft.outcome || undefined,
    from: dayToMs(draft.from, false),
    to: dayToMs(draft.to, true),
  };
}

/** The audit chain viewer of both the System console and Admin Access; newest first, paged by "older". */
export function AuditLogPage({ endpoint }: { endpoint: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { realm, api } = useRealm();
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [filters, setFilters] = useState<AuditFilters>({});
  // The `before` cursor of every page visited so far; the last one is shown.
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  const [expanded, setExpanded] = useState<number | null>(null);
  const before = cursors[cursors.length - 1];

  const audit = useQuery({
    queryKey: auditKeys.page(realm, endpoint, filters, before),
    queryFn: ({ signal }) =>
      api<AuditPage>(endpoint, { query: { ...filters, before, limit: PAGE_SIZE }, signal }),
    placeholderData: keepPreviousData,
  });

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(toFilters(draft));
    setCursors([undefined]);
    setExpanded(null);
  };
  const reset = () => {
    setDraft(EMPTY_DRAFT);
    setFilters({});
    setCursors([undefined]);
    setExpanded(null);
  };
  const set = (key: keyof Draft) => (value: string) => setDraft((current) => ({ ...current, [key]: value }));

  const nextBefore = audit.data?.nextBefore ?? null;

  return (
    <>
      <PageHeader title={t('audit.title')} description={t('audit.description')} />
      <Paper withBorder p="md" mb="md" component="form" onSubmit={apply} aria-label={t('audit.filters')}>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 5 }}>
          <TextInput
            label={t('audit.action')}
            placeholder={t('audit.actionPlaceholder')}
            value={draft.action}
            onChange={(event) => set('action')(event.currentTarget.value)}
          />
          <TextInput
            label={t('audit.actor')}
            value={draft.actor}
            onChange={(event) => set('actor')(event.currentTarget.value)}
          />
          <NativeSelect
            label={t('audit.outcome')}
            value={draft.outcome}
            onChange={(event) => set('outcome')(event.currentTarget.value)}
            data={[
              { value: '', label: t('audit.anyOutcome') },
              { value: 'success', label: outcomeLabel(t, 'success') },
              { value: 'failure', label: outcomeLabel(t, 'failure') },
              { value: 'denied', label: outcomeLabel(t, 'denied') },
            ]}
          />
          <TextInput
            type="date"
            label={t('audit.from')}
            value={draft.from}
            onChange={(event) => set('from')(event.currentTarget.value)}
          />
          <TextInput
            type="date"
            label={t('audit.to')}
            value={draft.to}
            onChange={(event) => set('to')(event.currentTarget.value)}
          />
        </SimpleGrid>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={reset}>
            {t('audit.resetFilters')}
          </Button>
          <Button type="submit">{t('audit.applyFilters')}</Button>
        </Group>
      </Paper>

      <QueryStates
        query={audit}
        isEmpty={(data) => data.entries.length === 0}
        empty={
          <EmptyState
            icon={<IconListSearch size={28} />}
            title={t('audit.emptyTitle')}
            description={t('audit.emptyDescription')}
          />
        }
      >
        {(data) => (
          <Stack>
            <Table.ScrollContainer minWidth={800}>
              <Table striped highlightOnHover verticalSpacing="xs" aria-label={t('audit.title')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={40}>
                      <span className="pv-visually-hidden">{t('audit.details')}</span>
                    </Table.Th>
                    <Table.Th>{t('audit.time')}</Table.Th>
                    <Table.Th>{t('audit.actor')}</Table.Th>
                    <Table.Th>{t('audit.action')}</Table.Th>
                    <Table.Th>{t('audit.target')}</Table.Th>
                    <Table.Th>{t('audit.outcome')}</Table.Th>
                    <Table.Th>{t('audit.ip')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.entries.map((entry) => {
                    const open = expanded === entry.id;
                    return (
                      <Fragment key={entry.id}>
                        <Table.Tr>
                          <Table.Td>
                            <ActionIcon
                              variant="subtle"
                              color="gray"
                              onClick={() => setExpanded(open ? null : entry.id)}
                              aria-expanded={open}
                              aria-label={open ? t('audit.hideDetails') : t('audit.showDetails')}
                            >
                              {open ? (
                                <IconChevronDown size={16} aria-hidden />
                              ) : (
                                <IconChevronRight size={16} aria-hidden />
                              )}
                            </ActionIcon>
                          </Table.Td>
                          <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.dateTime(entry.at)}</Table.Td>
                          <Table.Td>
                            <Text size="sm">{entry.actor.name}</Text>
                            <Text size="xs" c="dimmed">
                              {actorKindLabel(t, entry.actor.kind)}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            <Code>{entry.action}</Code>
                          </Table.Td>
                          <Table.Td>
                            {entry.target ? (
                              <>
                                <Text size="sm">{entry.target.label ?? entry.target.id ?? '–'}</Text>
                                <Text size="xs" c="dimmed">
                                  {targetTypeLabel(t, entry.target.type)}
                                </Text>
                              </>
                            ) : (
                              <Text size="sm" c="dimmed">
                                –
                              </Text>
                            )}
                          </Table.Td>
                          <Table.Td>
                            <Badge color={OUTCOME_COLORS[entry.outcome]} variant="light">
                              {outcomeLabel(t, entry.outcome)}
                            </Badge>
                          </Table.Td>
                          <Table.Td>{entry.ip ?? '–'}</Table.Td>
                        </Table.Tr>
                        {open && (
                          <Table.Tr>
                            <Table.Td colSpan={7}>
                              <Text size="xs" c="dimmed" mb={4}>
                                {t('audit.sequence', { seq: entry.seq })}
                              </Text>
                              <Code block>{JSON.stringify(entry.details ?? {}, null, 2)}</Code>
                            </Table.Td>
                          </Table.Tr>
                        )}
                      </Fragment>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {t('audit.page', { page: cursors.length })}
              </Text>
              <Group>
                <Button
                  variant="default"
                  disabled={cursors.length === 1 || audit.isFetching}
                  onClick={() => {
                    setCursors((current) => current.slice(0, -1));
                    setExpanded(null);
                  }}
                >
                  {t('audit.newer')}
                </Button>
                <Button
                  variant="default"
                  disabled={nextBefore === null || audit.isFetching}
                  loading={audit.isFetching && audit.isPlaceholderData}
                  onClick={() => {
                    setCursors((current) => [...current, nextBefore ?? undefined]);
                    setExpanded(null);
                  }}
                >
                  {t('audit.older')}
                </Button>
              </Group>
            </Group>
          </Stack>
        )}
      </QueryStates>
    </>
  );
}
