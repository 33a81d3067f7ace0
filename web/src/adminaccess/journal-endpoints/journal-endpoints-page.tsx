import { Alert, Badge, Button, Group, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconEdit,
  IconPlayerPause,
  IconPlayerPlay,
  IconPlus,
  IconRefresh,
  IconTrash,
} from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { CopyValueButton } from '../../shared/components/copy-value';
import { DeleteDialog } from '../../shared/components/delete-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable, type ListColumn } from '../../shared/components/list-table';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { routeId } from '../../shared/route-id';
import { JournalAddressDialog } from './journal-address';
import { JournalEndpointFormModal } from './journal-endpoint-form-modal';
import {
  useDeleteJournalEndpoint,
  useJournalEndpoints,
  useRegenerateJournalAddress,
  useSaveJournalEndpoint,
  type JournalEndpoint,
} from './journal-endpoints.api';

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit' | 'delete' | 'regenerate' | 'regenerated'; endpoint: JournalEndpoint }
  | null;

const LIST_PATH = '/adminaccess/journal-endpoints';

/**
 * Admin Access → Journal endpoints. `/adminaccess/journal-endpoints/:endpointId` (the dashboard's
 * link for a silent endpoint) opens the same list with that endpoint's dialog.
 */
export function JournalEndpointsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const routed = routeId(useParams().endpointId);
  const endpoints = useJournalEndpoints();
  const save = useSaveJournalEndpoint();
  const regenerate = useRegenerateJournalAddress();
  const remove = useDeleteJournalEndpoint();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => {
    setDialog(null);
    if (!Number.isNaN(routed)) void navigate(LIST_PATH);
  };
  const routedEndpoint = endpoints.data?.find((endpoint) => endpoint.id === routed);
  const shown: Dialog = dialog ?? (routedEndpoint ? { kind: 'edit', endpoint: routedEndpoint } : null);

  const toggle = (endpoint: JournalEndpoint) =>
    save.mutate(
      { id: endpoint.id, enabled: !endpoint.enabled },
      {
        onSuccess: (changed) =>
          notifications.show({
            color: 'teal',
            message: changed.enabled
              ? t('journalEndpoints.enabledMessage', { name: changed.name })
              : t('journalEndpoints.disabledMessage', { name: changed.name }),
          }),
        onError: (error) => notifications.show({ color: 'red', message: error.message }),
      },
    );

  const createButton = (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setDialog({ kind: 'create' })}>
      {t('journalEndpoints.create')}
    </Button>
  );
  const columns: ListColumn[] = [
    t('journalEndpoints.name'),
    t('journalEndpoints.address'),
    t('journalEndpoints.mailbox'),
    t('journalEndpoints.status'),
    { label: t('journalEndpoints.messages24h'), align: 'right' },
    { label: t('journalEndpoints.messages30d'), align: 'right' },
    t('journalEndpoints.lastMessage'),
  ];
  return (
    <>
      <PageHeader
        title={t('journalEndpoints.title')}
        description={t('journalEndpoints.description')}
        actions={createButton}
      />
      {!Number.isNaN(routed) && endpoints.data && !routedEndpoint && (
        <Alert color="yellow" variant="light" mb="md" role="status">
          {t('journalEndpoints.notFound')}
        </Alert>
      )}
      <QueryStates
        query={endpoints}
        empty={
          <EmptyState
            title={t('journalEndpoints.emptyTitle')}
            description={t('journalEndpoints.emptyDescription')}
          />
        }
      >
        {(data) => (
          <ListTable label={t('journalEndpoints.title')} columns={columns} withActions minWidth={960}>
            {data.map((endpoint) => (
              <Table.Tr key={endpoint.id}>
                <Table.Td fw={500}>{endpoint.name}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {endpoint.address}
                    </Text>
                    <CopyValueButton
                      value={endpoint.address}
                      label={t('journalEndpoints.addressOf', { name: endpoint.name })}
                    />
                  </Group>
                </Table.Td>
                <Table.Td>{endpoint.mailbox.name}</Table.Td>
                <Table.Td>
                  <Badge
                    color={endpoint.enabled ? 'teal' : 'gray'}
                    variant="light"
                    style={{ minWidth: 'max-content' }}
                  >
                    {endpoint.enabled ? t('journalEndpoints.enabled') : t('journalEndpoints.disabled')}
                  </Badge>
                </Table.Td>
                <Table.Td ta="right">{format.number(endpoint.messages24h)}</Table.Td>
                <Table.Td ta="right">{format.number(endpoint.messages30d)}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {endpoint.lastReceivedAt === null
                    ? t('journalEndpoints.never')
                    : format.dateTime(endpoint.lastReceivedAt)}
                </Table.Td>
                <Table.Td>
                  <RowActions>
                    <RowAction
                      label={t('journalEndpoints.edit')}
                      icon={IconEdit}
                      onClick={() => setDialog({ kind: 'edit', endpoint })}
                    />
                    <RowAction
                      label={endpoint.enabled ? t('journalEndpoints.disable') : t('journalEndpoints.enable')}
                      icon={endpoint.enabled ? IconPlayerPause : IconPlayerPlay}
                      onClick={() => toggle(endpoint)}
                    />
                    <RowAction
                      label={t('journalEndpoints.regenerate')}
                      icon={IconRefresh}
                      onClick={() => setDialog({ kind: 'regenerate', endpoint })}
                    />
                    <RowAction
                      label={t('journalEndpoints.delete')}
                      icon={IconTrash}
                      color="red"
                      onClick={() => setDialog({ kind: 'delete', endpoint })}
                    />
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
      </QueryStates>
      {shown?.kind === 'create' && <JournalEndpointFormModal onClose={close} />}
      {shown?.kind === 'edit' && (
        <JournalEndpointFormModal key={shown.endpoint.id} endpoint={shown.endpoint} onClose={close} />
      )}
      {shown?.kind === 'regenerate' && (
        <ConfirmDialog
          title={t('journalEndpoints.regenerateTitle')}
          message={t('journalEndpoints.regenerateMessage', { name: shown.endpoint.name })}
          confirmLabel={t('journalEndpoints.regenerateConfirm')}
          danger
          pending={regenerate.isPending}
          error={regenerate.error}
          onConfirm={() =>
            regenerate.mutate(shown.endpoint.id, {
              onSuccess: (changed) => setDialog({ kind: 'regenerated', endpoint: changed }),
            })
          }
          onClose={() => {
            regenerate.reset();
            close();
          }}
        />
      )}
      {shown?.kind === 'regenerated' && (
        <JournalAddressDialog
          title={t('journalEndpoints.regeneratedTitle', { name: shown.endpoint.name })}
          address={shown.endpoint.address}
          onClose={close}
        />
      )}
      {shown?.kind === 'delete' && (
        <DeleteDialog
          title={t('journalEndpoints.deleteTitle')}
          message={t('journalEndpoints.deleteMessage', { name: shown.endpoint.name })}
          confirmLabel={t('journalEndpoints.delete')}
          typeToConfirm={shown.endpoint.name}
          mutation={remove}
          variables={shown.endpoint.id}
          deletedMessage={t('journalEndpoints.deleted', { name: shown.endpoint.name })}
          onClose={close}
        />
      )}
    </>
  );
}
