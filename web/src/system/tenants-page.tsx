import { Anchor, Button, Table, Text } from '@mantine/core';
import { IconBuildingPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Credentials, TenantSummary } from '../shared/api/types';
import { EmptyState } from '../shared/components/empty-state';
import { ErrorAlert } from '../shared/components/error-alert';
import { LoadingState } from '../shared/components/loading-state';
import { PageHeader } from '../shared/components/page-header';
import { ShownOnceDialog } from '../shared/components/shown-once-dialog';
import { UsageBar } from '../shared/components/usage-bar';
import { useFormat } from '../shared/format';
import { CreateTenantModal } from './create-tenant-modal';
import { useTenants } from './system.api';
import { TenantStatusBadge } from './tenant-status-badge';

type Dialog = { kind: 'create' } | { kind: 'created'; tenant: TenantSummary; admin: Credentials } | null;

export function TenantsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const tenants = useTenants();
  const [dialog, setDialog] = useState<Dialog>(null);

  const createButton = (
    <Button
      leftSection={<IconBuildingPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('tenants.create')}
    </Button>
  );

  return (
    <>
      <PageHeader
        title={t('tenants.title')}
        description={t('tenants.description')}
        actions={tenants.data?.length ? createButton : undefined}
      />
      {tenants.isPending ? (
        <LoadingState />
      ) : tenants.isError ? (
        <ErrorAlert error={tenants.error} onRetry={() => void tenants.refetch()} />
      ) : tenants.data.length === 0 ? (
        <EmptyState
          title={t('tenants.emptyTitle')}
          description={t('tenants.emptyDescription')}
          action={createButton}
        />
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover aria-label={t('tenants.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('tenants.name')}</Table.Th>
                <Table.Th>{t('tenants.slug')}</Table.Th>
                <Table.Th>{t('tenants.status')}</Table.Th>
                <Table.Th>{t('tenants.users')}</Table.Th>
                <Table.Th>{t('tenants.mailboxes')}</Table.Th>
                <Table.Th>{t('tenants.storage')}</Table.Th>
                <Table.Th>{t('tenants.created')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tenants.data.map((tenant) => (
                <Table.Tr key={tenant.id} data-testid={`tenant-row-${tenant.slug}`}>
                  <Table.Td>
                    <Anchor component={Link} to={`/system/tenants/${tenant.id}`} fw={500}>
                      {tenant.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {tenant.slug}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <TenantStatusBadge status={tenant.status} />
                  </Table.Td>
                  <Table.Td>
                    <UsageBar
                      compact
                      label={t('tenants.users')}
                      used={tenant.usage.users}
                      max={tenant.quotas.maxUsers}
                      format={format.number}
                    />
                  </Table.Td>
                  <Table.Td>
                    <UsageBar
                      compact
                      label={t('tenants.mailboxes')}
                      used={tenant.usage.mailboxes}
                      max={tenant.quotas.maxMailboxes}
                      format={format.number}
                    />
                  </Table.Td>
                  <Table.Td>
                    <UsageBar
                      compact
                      label={t('tenants.storage')}
                      used={tenant.usage.storageBytes}
                      max={tenant.quotas.maxStorageBytes}
                      format={format.bytes}
                    />
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.date(tenant.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {dialog?.kind === 'create' && (
        <CreateTenantModal
          onClose={() => setDialog(null)}
          onCreated={(tenant, admin) => setDialog({ kind: 'created', tenant, admin })}
        />
      )}
      {dialog?.kind === 'created' && (
        <ShownOnceDialog
          title={t('tenants.createdTitle', { name: dialog.tenant.name })}
          description={t('tenants.createdDescription')}
          values={[
            { id: 'login', label: t('shownOnce.login'), value: dialog.admin.login },
            { id: 'password', label: t('shownOnce.password'), value: dialog.admin.password },
          ]}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}
