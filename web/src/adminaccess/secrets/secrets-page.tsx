import { Badge, Button, Table, Text } from '@mantine/core';
import { IconEdit, IconLockPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Secret } from '../../shared/api/types';
import { DeleteDialog } from '../../shared/components/delete-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable } from '../../shared/components/list-table';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
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
  const close = () => setDialog(null);
  const createButton = (
    <Button
      leftSection={<IconLockPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('secrets.create')}
    </Button>
  );
  const columns = [
    t('secrets.name'),
    t('secrets.kind'),
    t('secrets.username'),
    t('secrets.value'),
    t('secrets.usedBy'),
    t('secrets.updated'),
  ];
  return (
    <>
      <PageHeader title={t('secrets.title')} description={t('secrets.description')} actions={createButton} />
      <QueryStates
        query={secrets}
        empty={<EmptyState title={t('secrets.emptyTitle')} description={t('secrets.emptyDescription')} />}
      >
        {(data) => (
          <ListTable label={t('secrets.title')} columns={columns} withActions minWidth={800}>
            {data.map((secret) => (
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
                  <RowActions>
                    <RowAction
                      label={t('secrets.edit')}
                      icon={IconEdit}
                      onClick={() => setDialog({ kind: 'edit', secret })}
                    />
                    <RowAction
                      label={t('secrets.delete')}
                      icon={IconTrash}
                      color="red"
                      disabledReason={
                        secret.inUse
                          ? t('secrets.deleteBlocked', { usedBy: secret.usedBy.join(', ') })
                          : undefined
                      }
                      onClick={() => setDialog({ kind: 'delete', secret })}
                    />
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
      </QueryStates>
      {dialog?.kind === 'create' && <SecretFormModal onClose={close} />}
      {dialog?.kind === 'edit' && (
        <SecretFormModal key={dialog.secret.id} secret={dialog.secret} onClose={close} />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          title={t('secrets.deleteTitle')}
          message={t('secrets.deleteMessage', { name: dialog.secret.name })}
          confirmLabel={t('secrets.delete')}
          typeToConfirm={dialog.secret.name}
          mutation={remove}
          variables={dialog.secret.id}
          deletedMessage={t('secrets.deleted', { name: dialog.secret.name })}
          onClose={close}
        />
      )}
    </>
  );
}
