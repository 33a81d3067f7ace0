import { ActionIcon, Badge, Button, Group, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEdit, IconLockPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Secret } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ErrorAlert } from '../../shared/components/error-alert';
import { LoadingState } from '../../shared/components/loading-state';
import { PageHeader } from '../../shared/components/page-header';
import { useFormat } from '../../shared/format';
import { useDeleteSecret, useSecrets } from '../admin.api';
import { SecretFormModal } from './secret-form-modal';

type Dialog = { kind: 'create' } | { kind: 'edit' | 'delete'; secret: Secret } | null;

export function SecretsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const secrets = useSecrets();
  const remove = useDeleteSecret();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => {
    setDialog(null);
    remove.reset();
  };
  const createButton = (
    <Button
      leftSection={<IconLockPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('secrets.create')}
    </Button>
  );
  return (
    <>
      <PageHeader title={t('secrets.title')} description={t('secrets.description')} actions={createButton} />
      {secrets.isPending ? (
        <LoadingState />
      ) : secrets.isError ? (
        <ErrorAlert error={secrets.error} onRetry={() => void secrets.refetch()} />
      ) : secrets.data.length === 0 ? (
        <EmptyState title={t('secrets.emptyTitle')} description={t('secrets.emptyDescription')} />
      ) : (
        <Table.ScrollContainer minWidth={800}>
          <Table striped highlightOnHover aria-label={t('secrets.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('secrets.name')}</Table.Th>
                <Table.Th>{t('secrets.kind')}</Table.Th>
                <Table.Th>{t('secrets.username')}</Table.Th>
                <Table.Th>{t('secrets.value')}</Table.Th>
                <Table.Th>{t('secrets.usedBy')}</Table.Th>
                <Table.Th>{t('secrets.updated')}</Table.Th>
                <Table.Th>
                  <span className="pv-visually-hidden">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {secrets.data.map((secret) => (
                <Table.Tr key={secret.id}>
                  <Table.Td fw={500}>{secret.name}</Table.Td>
                  <Table.Td>
                    {secret.kind === 'password' ? t('secrets.kindPassword') : t('secrets.kindCertificate')}
                  </Table.Td>
                  <Table.Td>{secret.username ?? '–'}</Table.Td>
                  <Table.Td>
                    <Badge color="teal" variant="light">
                      {t('secrets.isSet')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{secret.usedBy.join(', ') || t('secrets.unused')}</Text>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.dateTime(secret.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap" justify="flex-end">
                      <Tooltip label={t('secrets.edit')}>
                        <ActionIcon
                          variant="subtle"
                          aria-label={t('secrets.edit')}
                          onClick={() => setDialog({ kind: 'edit', secret })}
                        >
                          <IconEdit size={18} aria-hidden />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip
                        label={
                          secret.inUse
                            ? t('secrets.deleteBlocked', { usedBy: secret.usedBy.join(', ') })
                            : t('secrets.delete')
                        }
                      >
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('secrets.delete')}
                          aria-disabled={secret.inUse || undefined}
                          data-disabled={secret.inUse || undefined}
                          onClick={() => {
                            if (!secret.inUse) setDialog({ kind: 'delete', secret });
                          }}
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
        </Table.ScrollContainer>
      )}
      {dialog?.kind === 'create' && <SecretFormModal onClose={close} />}
      {dialog?.kind === 'edit' && (
        <SecretFormModal key={dialog.secret.id} secret={dialog.secret} onClose={close} />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={t('secrets.deleteTitle')}
          message={t('secrets.deleteMessage', { name: dialog.secret.name })}
          confirmLabel={t('secrets.delete')}
          typeToConfirm={dialog.secret.name}
          danger
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(dialog.secret.id, {
              onSuccess: () => {
                notifications.show({
                  color: 'teal',
                  message: t('secrets.deleted', { name: dialog.secret.name }),
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
