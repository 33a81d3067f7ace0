import { Button, Card, Group, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconKey, IconPlayerPause, IconPlayerPlay, IconTrash } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import type { Credentials, TenantSummary } from '../shared/api/types';
import { BackLink } from '../shared/components/back-link';
import { ConfirmDialog } from '../shared/components/confirm-dialog';
import { DeleteDialog } from '../shared/components/delete-dialog';
import { ErrorAlert } from '../shared/components/error-alert';
import { NotFoundPage } from '../shared/components/not-found-page';
import { PageHeader } from '../shared/components/page-header';
import { QueryStates } from '../shared/components/query-states';
import { ShownOnceDialog } from '../shared/components/shown-once-dialog';
import { quotaUsage, UsageBar } from '../shared/components/usage-bar';
import { useFormat } from '../shared/format';
import { routeId } from '../shared/route-id';
import { QuotaFields, quotaDraftFrom, quotasFromDraft, type QuotaDraft } from './quota-fields';
import {
  useDeleteTenant,
  useResetTenantAdmin,
  useSetTenantStatus,
  useTenant,
  useUpdateTenant,
} from './system.api';
import { TenantMailPolicy } from './tenant-mail-policy';
import { TenantStatusBadge } from './tenant-status-badge';

export function TenantDetailPage() {
  const { t } = useTranslation();
  const { tenantId } = useParams();
  const id = routeId(tenantId);
  const tenant = useTenant(id);

  return (
    <>
      <BackLink to="/system/tenants" label={t('tenants.backToList')} />
      {!Number.isInteger(id) ? (
        <NotFoundPage home="/system/tenants" />
      ) : (
        <QueryStates query={tenant}>{(data) => <TenantDetail tenant={data} />}</QueryStates>
      )}
    </>
  );
}

type Dialog =
  | { kind: 'suspend' | 'resume' | 'reset-admin' | 'delete' }
  | { kind: 'admin-credentials'; credentials: Credentials }
  | null;

function TenantDetail({ tenant }: { tenant: TenantSummary }) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const setStatus = useSetTenantStatus(tenant.id);
  const resetAdmin = useResetTenantAdmin(tenant.id);
  const remove = useDeleteTenant(tenant.id);
  const [dialog, setDialog] = useState<Dialog>(null);
  const closeDialog = () => {
    setDialog(null);
    setStatus.reset();
    resetAdmin.reset();
  };
  const quota = quotaUsage(tenant.quotas, tenant.usage, format);

  return (
    <>
      <PageHeader
        documentTitle={tenant.name}
        title={
          <Group gap="sm" component="span">
            {tenant.name}
            <TenantStatusBadge status={tenant.status} />
          </Group>
        }
        description={t('tenants.detailDescription', { slug: tenant.slug, id: tenant.id })}
      />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Card withBorder>
            <UsageBar label={t('tenants.users')} {...quota.users} />
          </Card>
          <Card withBorder>
            <UsageBar label={t('tenants.mailboxes')} {...quota.mailboxes} />
          </Card>
          <Card withBorder>
            <UsageBar label={t('tenants.storage')} {...quota.storage} />
            <Text size="xs" c="dimmed" mt={4}>
              {t('tenants.messagesCount', {
                count: tenant.usage.messages,
                formatted: format.number(tenant.usage.messages),
              })}
            </Text>
          </Card>
        </SimpleGrid>

        <TenantEditForm key={tenant.id} tenant={tenant} />

        <TenantMailPolicy tenantId={tenant.id} tenantName={tenant.name} />

        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="sm">
            {t('tenants.actions')}
          </Title>
          <Group>
            {tenant.status === 'active' ? (
              <Button
                variant="default"
                leftSection={<IconPlayerPause size={18} aria-hidden />}
                onClick={() => setDialog({ kind: 'suspend' })}
              >
                {t('tenants.suspend')}
              </Button>
            ) : (
              <Button
                variant="default"
                leftSection={<IconPlayerPlay size={18} aria-hidden />}
                onClick={() => setDialog({ kind: 'resume' })}
              >
                {t('tenants.resume')}
              </Button>
            )}
            <Button
              variant="default"
              leftSection={<IconKey size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'reset-admin' })}
            >
              {t('tenants.resetAdmin')}
            </Button>
            <Button
              color="red"
              variant="light"
              leftSection={<IconTrash size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'delete' })}
            >
              {t('tenants.delete')}
            </Button>
          </Group>
        </Paper>
      </Stack>

      {(dialog?.kind === 'suspend' || dialog?.kind === 'resume') && (
        <ConfirmDialog
          title={dialog.kind === 'suspend' ? t('tenants.suspendTitle') : t('tenants.resumeTitle')}
          message={
            dialog.kind === 'suspend'
              ? t('tenants.suspendMessage', { name: tenant.name })
              : t('tenants.resumeMessage', { name: tenant.name })
          }
          confirmLabel={dialog.kind === 'suspend' ? t('tenants.suspend') : t('tenants.resume')}
          danger={dialog.kind === 'suspend'}
          pending={setStatus.isPending}
          error={setStatus.error}
          onConfirm={() => setStatus.mutate(dialog.kind as 'suspend' | 'resume', { onSuccess: closeDialog })}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'reset-admin' && (
        <ConfirmDialog
          title={t('tenants.resetAdminTitle')}
          message={t('tenants.resetAdminMessage', { slug: tenant.slug })}
          confirmLabel={t('tenants.resetAdmin')}
          pending={resetAdmin.isPending}
          error={resetAdmin.error}
          onConfirm={() =>
            resetAdmin.mutate(undefined, {
              onSuccess: (credentials) => setDialog({ kind: 'admin-credentials', credentials }),
            })
          }
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'admin-credentials' && (
        <ShownOnceDialog
          title={t('tenants.resetAdminDoneTitle')}
          values={[
            { id: 'login', label: t('shownOnce.login'), value: dialog.credentials.login },
            { id: 'password', label: t('shownOnce.password'), value: dialog.credentials.password },
          ]}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          title={t('tenants.deleteTitle')}
          message={t('tenants.deleteMessage', { name: tenant.name })}
          confirmLabel={t('tenants.delete')}
          typeToConfirm={tenant.slug}
          mutation={remove}
          variables={tenant.slug}
          deletedMessage={t('tenants.deleted', { name: tenant.name })}
          onClose={closeDialog}
          onDeleted={() => void navigate('/system/tenants')}
        />
      )}
    </>
  );
}

function TenantEditForm({ tenant }: { tenant: TenantSummary }) {
  const { t } = useTranslation();
  const update = useUpdateTenant(tenant.id);
  const [name, setName] = useState(tenant.name);
  const [quotas, setQuotas] = useState<QuotaDraft>(() => quotaDraftFrom(tenant.quotas));
  const [submitted, setSubmitted] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!name.trim()) return;
    update.mutate(
      { name: name.trim(), quotas: quotasFromDraft(quotas) },
      { onSuccess: () => notifications.show({ color: 'teal', message: t('common.saved') }) },
    );
  };

  return (
    <Paper
      withBorder
      p="md"
      component="form"
      onSubmit={submit}
      noValidate
      aria-labelledby="tenant-settings-title"
    >
      <Stack>
        <Title order={2} size="h4" id="tenant-settings-title">
          {t('tenants.settings')}
        </Title>
        <TextInput
          label={t('tenants.name')}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          required
          error={submitted && !name.trim() ? t('validation.required') : undefined}
          maw={480}
        />
        <QuotaFields value={quotas} onChange={setQuotas} usage={tenant.usage} />
        {update.error && <ErrorAlert error={update.error} />}
        <Group justify="flex-end">
          <Button type="submit" loading={update.isPending}>
            {t('common.saveChanges')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
