import { ActionIcon, Button, Group, Modal, Stack, Table, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Domain } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ErrorAlert } from '../../shared/components/error-alert';
import { LoadingState } from '../../shared/components/loading-state';
import { OriginBadge } from '../../shared/components/role-badges';
import { useFormat } from '../../shared/format';
import { useCreateDomain, useDeleteDomain, useDomains } from '../admin.api';
import { SectionTitle } from '../section-title';
import { UserManagementTabs } from '../user-management-tabs';

type Dialog = { kind: 'add' } | { kind: 'delete'; domain: Domain } | null;

export function DomainsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const domains = useDomains();
  const remove = useDeleteDomain();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => {
    setDialog(null);
    remove.reset();
  };
  const addButton = (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setDialog({ kind: 'add' })}>
      {t('domains.add')}
    </Button>
  );
  return (
    <>
      <UserManagementTabs active="domains" />
      <SectionTitle title={t('domains.title')} actions={addButton} />
      {domains.isPending ? (
        <LoadingState />
      ) : domains.isError ? (
        <ErrorAlert error={domains.error} onRetry={() => void domains.refetch()} />
      ) : domains.data.length === 0 ? (
        <EmptyState title={t('domains.emptyTitle')} description={t('domains.emptyDescription')} />
      ) : (
        <Table striped highlightOnHover aria-label={t('domains.title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('domains.name')}</Table.Th>
              <Table.Th>{t('domains.origin')}</Table.Th>
              <Table.Th>{t('common.created')}</Table.Th>
              <Table.Th>
                <span className="pv-visually-hidden">{t('common.actions')}</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {domains.data.map((domain) => (
              <Table.Tr key={domain.id}>
                <Table.Td fw={500}>{domain.name}</Table.Td>
                <Table.Td>
                  <OriginBadge origin={domain.origin} />
                </Table.Td>
                <Table.Td>{format.date(domain.createdAt)}</Table.Td>
                <Table.Td>
                  <Group justify="flex-end">
                    <Tooltip label={t('domains.delete')}>
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        aria-label={t('domains.delete')}
                        onClick={() => setDialog({ kind: 'delete', domain })}
                      >
                        <IconTrash size={18} aria-hidden />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {dialog?.kind === 'add' && <AddDomainModal onClose={close} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={t('domains.deleteTitle')}
          message={t('domains.deleteMessage', { name: dialog.domain.name })}
          confirmLabel={t('domains.delete')}
          typeToConfirm={dialog.domain.name}
          danger
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(dialog.domain.id, {
              onSuccess: () => {
                notifications.show({
                  color: 'teal',
                  message: t('domains.deleted', { name: dialog.domain.name }),
                });
                close();
              },
            })
          }
          onClose={close}
        />
      )}
    </>
  );
}

function AddDomainModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateDomain();
  const [name, setName] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!name.trim()) return;
    create.mutate(name.trim().toLowerCase(), { onSuccess: onClose });
  };
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('domains.addTitle')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label={t('domains.name')}
            placeholder="example.com"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            autoCapitalize="none"
            spellCheck={false}
            required
            error={submitted && !name.trim() ? t('validation.required') : undefined}
            data-autofocus
          />
          {create.error && <ErrorAlert error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('domains.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
