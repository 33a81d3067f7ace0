import { Anchor, Button, Table, Text } from '@mantine/core';
import { IconBuildingPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Credentials, TenantSummary } from '../shared/api/types';
import { EmptyState } from '../shared/components/empty-state';
import { ListTable } from '../shared/components/list-table';
import { PageHeader } from '../shared/components/page-header';
import { QueryStates } from '../shared/components/query-states';
import { ShownOnceDialog } from '../shared/components/shown-once-dialog';
import { quotaUsage, UsageBar } from '../shared/components/usage-bar';
import { useFormat } from '../shared/format';
import { CreateTenantModal } from './create-tenant-modal';
import { useTenants, type CredentialsMail } from './system.api';
import { TenantStatusBadge } from './tenant-status-badge';

type Dialog =
  | { kind: 'create' }
  | { kind: 'created'; tenant: TenantSummary; admin: Credentials; credentialsMail?: CredentialsMail }
  | null;

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
  const columns = [
    t('tenants.name'),
    t('tenants.slug'),
    t('tenants.status'),
    t('tenants.users'),
    t('tenants.mailboxes'),
    t('tenants.storage'),
    t('tenants.created'),
  ];

  return (
    <>
      <PageHeader
        title={t('tenants.title')}
        description={t('tenants.description')}
        actions={tenants.data?.length ? createButton : undefined}
      />
      <QueryStates
        query={tenants}
        empty={
          <EmptyState
            title={t('tenants.emptyTitle')}
            description={t('tenants.emptyDescription')}
            action={createButton}
          />
        }
      >
        {(data) => (
          <ListTable label={t('tenants.title')} columns={columns} minWidth={900}>
            {data.map((tenant) => {
              const quota = quotaUsage(tenant.quotas, tenant.usage, format);
              return (
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
                    <UsageBar compact label={t('tenants.users')} {...quota.users} />
                  </Table.Td>
                  <Table.Td>
                    <UsageBar compact label={t('tenants.mailboxes')} {...quota.mailboxes} />
                  </Table.Td>
                  <Table.Td>
                    <UsageBar compact label={t('tenants.storage')} {...quota.storage} />
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.date(tenant.createdAt)}</Table.Td>
                </Table.Tr>
              );
            })}
          </ListTable>
        )}
      </QueryStates>
      {dialog?.kind === 'create' && (
        <CreateTenantModal
          onClose={() => setDialog(null)}
          onCreated={(tenant, admin, credentialsMail) =>
            setDialog({ kind: 'created', tenant, admin, credentialsMail })
          }
        />
      )}
      {dialog?.kind === 'created' && (
        <ShownOnceDialog
          title={t('tenants.createdTitle', { name: dialog.tenant.name })}
          description={
            <>
              {t('tenants.createdDescription')}
              {dialog.credentialsMail && (
                <span data-testid="credentials-mail" data-queued={String(dialog.credentialsMail.queued)}>
                  {' '}
                  {dialog.credentialsMail.queued
                    ? t('tenants.credentialsMailed', { to: dialog.credentialsMail.to })
                    : t('tenants.credentialsNotMailed', {
                        to: dialog.credentialsMail.to,
                        error: dialog.credentialsMail.error ?? '',
                      })}
                </span>
              )}
            </>
          }
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
