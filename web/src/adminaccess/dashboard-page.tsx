import { BarChart } from '@mantine/charts';
import {
  Anchor,
  Badge,
  Card,
  Grid,
  Group,
  List,
  SimpleGrid,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Dashboard, Inconsistency, VolumeFigure } from '../shared/api/types';
import { PageHeader } from '../shared/components/page-header';
import { QueryStates } from '../shared/components/query-states';
import { quotaUsage, UsageBar } from '../shared/components/usage-bar';
import { useFormat, type Format } from '../shared/format';
import { useDashboard } from './admin.api';
import { ADMIN_PROCESS_LOG_PATH } from './process-log/job-runs.api';
import { runFiltersQuery } from './process-log/job-runs-list';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The sentence for an inconsistency, with its parameters. */
export function inconsistencyText(t: TFunction, format: Format, item: Inconsistency): string {
  const params = item.params ?? {};
  switch (item.code) {
    case 'ONLY_PROVISIONED_ADMIN':
      return t('inconsistencies.ONLY_PROVISIONED_ADMIN');
    case 'GROUP_WITHOUT_ROLES':
      return t('inconsistencies.GROUP_WITHOUT_ROLES', { groupName: params.groupName ?? params.groupId });
    case 'USER_WITHOUT_READER':
      return t('inconsistencies.USER_WITHOUT_READER', { login: params.login ?? params.userId });
    case 'MORE_USERS_WITHOUT_READER':
      return t('inconsistencies.MORE_USERS_WITHOUT_READER', { count: Number(params.count) });
    case 'MORE_GROUPS_WITHOUT_ROLES':
      return t('inconsistencies.MORE_GROUPS_WITHOUT_ROLES', { count: Number(params.count) });
    case 'JOURNAL_ENDPOINT_SILENT':
      return t('inconsistencies.JOURNAL_ENDPOINT_SILENT', { name: params.name ?? params.endpointId });
    case 'STORAGE_ABOVE_90':
      // `percent` is a percentage (e.g. 93.4); the formatter takes a fraction.
      return t('inconsistencies.STORAGE_ABOVE_90', { percent: format.percent(Number(params.percent) / 100) });
    default:
      return t('inconsistencies.unknown', { code: item.code });
  }
}

export function DashboardPage() {
  const { t } = useTranslation();
  const dashboard = useDashboard();
  return (
    <>
      <PageHeader
        title={t('dashboard.title')}
        description={dashboard.isSuccess ? <TenantLine tenant={dashboard.data.tenant} /> : undefined}
      />
      <QueryStates query={dashboard}>
        {(data) => <DashboardView data={data} updatedAt={dashboard.dataUpdatedAt} />}
      </QueryStates>
    </>
  );
}

function TenantLine({ tenant }: { tenant: Dashboard['tenant'] }) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" component="span">
      <Text span fw={600} data-testid="dashboard-tenant-name">
        {tenant.name}
      </Text>
      <Text span c="dimmed">
        {t('dashboard.tenantId', { id: tenant.id, slug: tenant.slug })}
      </Text>
      {tenant.status === 'suspended' && (
        <Badge color="orange" variant="light">
          {t('tenants.statusSuspended')}
        </Badge>
      )}
    </Group>
  );
}

/** `updatedAt`: when the figures were read; "failed in the last 24 hours" links to the runs since then. */
function DashboardView({ data, updatedAt }: { data: Dashboard; updatedAt: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { quotas, usage, counts, volume, jobs, inconsistencies } = data;
  const figure = (value: VolumeFigure) =>
    t('dashboard.volumeFigure', {
      count: value.messages,
      messages: format.number(value.messages),
      size: format.bytes(value.bytes),
    });
  const quota = quotaUsage(quotas, usage, format);
  const chartData = volume.daily.map((day) => ({ day: format.day(day.day), messages: day.messages }));

  return (
    <Stack gap="lg">
      <Card withBorder component="section" aria-labelledby="inconsistencies-title">
        <Title order={2} size="h4" mb="sm" id="inconsistencies-title">
          {t('dashboard.inconsistencies')}
        </Title>
        {inconsistencies.length === 0 ? (
          <Group gap="xs">
            <IconCircleCheck color="var(--mantine-color-teal-6)" aria-hidden />
            <Text>{t('dashboard.noInconsistencies')}</Text>
          </Group>
        ) : (
          <List
            spacing="sm"
            icon={
              <ThemeIcon color="yellow" size={22} radius="xl" variant="light">
                <IconAlertTriangle size={14} aria-hidden />
              </ThemeIcon>
            }
            data-testid="inconsistencies"
          >
            {inconsistencies.map((item, index) => {
              const text = inconsistencyText(t, format, item);
              return (
                <List.Item key={`${item.code}:${index}`}>
                  <Group gap="sm" wrap="wrap">
                    <Text size="sm">{text}</Text>
                    <InconsistencyLink link={item.link} label={`${t('dashboard.fix')}: ${text}`}>
                      {t('dashboard.fix')}
                    </InconsistencyLink>
                  </Group>
                </List.Item>
              );
            })}
          </List>
        )}
      </Card>

      <SimpleGrid cols={{ base: 1, sm: 3 }} component="section" aria-label={t('dashboard.quotas')}>
        <Card withBorder>
          <UsageBar label={t('dashboard.users')} {...quota.users} />
        </Card>
        <Card withBorder>
          <UsageBar label={t('dashboard.mailboxes')} {...quota.mailboxes} />
        </Card>
        <Card withBorder>
          <UsageBar label={t('dashboard.storage')} {...quota.storage} />
        </Card>
      </SimpleGrid>

      <SimpleGrid cols={{ base: 2, md: 4 }} component="section" aria-label={t('dashboard.counts')}>
        <Stat label={t('dashboard.users')} value={format.number(counts.users)} to="/adminaccess/users" />
        <Stat label={t('dashboard.groups')} value={format.number(counts.groups)} to="/adminaccess/groups" />
        <Stat
          label={t('dashboard.mailboxes')}
          value={format.number(counts.mailboxes)}
          to="/adminaccess/mailboxes"
        />
        <Stat label={t('dashboard.messages')} value={format.number(counts.messages)} />
      </SimpleGrid>

      <Grid>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Card withBorder component="section" aria-labelledby="volume-title" h="100%">
            <Title order={2} size="h4" mb="sm" id="volume-title">
              {t('dashboard.volume')}
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 3 }} mb="md">
              <Figure label={t('dashboard.last24h')} value={figure(volume.last24h)} />
              <Figure label={t('dashboard.last30d')} value={figure(volume.last30d)} />
              <Figure label={t('dashboard.allTime')} value={figure(volume.allTime)} />
            </SimpleGrid>
            <div role="img" aria-label={t('dashboard.chartLabel')}>
              <BarChart
                h={220}
                data={chartData}
                dataKey="day"
                series={[{ name: 'messages', label: t('dashboard.messages'), color: 'blue.6' }]}
                tickLine="y"
                gridAxis="y"
              />
            </div>
            <Table className="pv-visually-hidden">
              <caption>{t('dashboard.chartLabel')}</caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('dashboard.day')}</Table.Th>
                  <Table.Th>{t('dashboard.messages')}</Table.Th>
                  <Table.Th>{t('dashboard.size')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {volume.daily.map((day) => (
                  <Table.Tr key={day.day}>
                    <Table.Td>{day.day}</Table.Td>
                    <Table.Td>{format.number(day.messages)}</Table.Td>
                    <Table.Td>{format.bytes(day.bytes)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </Grid.Col>

        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card withBorder component="section" aria-labelledby="jobs-title" h="100%">
            <Title order={2} size="h4" mb="sm" id="jobs-title">
              {t('dashboard.jobs')}
            </Title>
            <Stack gap="xs">
              <JobsFigure
                label={t('dashboard.jobsRunning')}
                value={format.number(jobs.running)}
                to={`${ADMIN_PROCESS_LOG_PATH}${runFiltersQuery({ status: 'running' })}`}
                testId="dashboard-jobs-running"
              />
              <JobsFigure
                label={t('dashboard.jobsFailed24h')}
                value={format.number(jobs.failed24h)}
                color={jobs.failed24h > 0 ? 'red' : undefined}
                to={`${ADMIN_PROCESS_LOG_PATH}${runFiltersQuery({ status: 'failed', since: updatedAt - DAY_MS })}`}
                testId="dashboard-jobs-failed"
              />
              <Text size="xs" c="dimmed">
                {t('dashboard.jobsHint')}
              </Text>
            </Stack>
          </Card>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

/** Only a path inside Admin Access becomes a link; anything else the server might send is not followed. */
function isAdminAccessPath(link: string): boolean {
  return (link === '/adminaccess' || link.startsWith('/adminaccess/')) && !link.split(/[/\\]/).includes('..');
}

function InconsistencyLink({ link, label, children }: { link: string; label: string; children: ReactNode }) {
  if (!isAdminAccessPath(link)) return null;
  return (
    <Anchor component={Link} to={link} size="sm" aria-label={label}>
      {children}
    </Anchor>
  );
}

function Stat({ label, value, to }: { label: string; value: string; to?: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {to ? (
          <Anchor component={Link} to={to} c="dimmed" inherit>
            {label}
          </Anchor>
        ) : (
          label
        )}
      </Text>
      <Text fz="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}

interface JobsFigureProps {
  label: string;
  value: string;
  /** The process log's runs, filtered to the ones the figure counts. */
  to: string;
  color?: string;
  testId: string;
}

/** A figure of the jobs card: its number links to those runs ("Running: 2" to screen readers). */
function JobsFigure({ label, value, to, color, testId }: JobsFigureProps) {
  return (
    <Stack gap={0}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Anchor
        component={Link}
        to={to}
        fw={600}
        c={color}
        aria-label={`${label}: ${value}`}
        data-testid={testId}
        style={{ alignSelf: 'flex-start' }}
      >
        {value}
      </Anchor>
    </Stack>
  );
}

function Figure({ label, value }: { label: string; value: ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </Stack>
  );
}
