import { Badge, Button, Stack, Table, Text } from '@mantine/core';
import { IconEdit, IconMailPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Mailbox } from '../../shared/api/types';
import { DeleteDialog } from '../../shared/components/delete-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable, type ListColumn } from '../../shared/components/list-table';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { useDeleteMailbox, useMailboxes } from '../admin.api';
import { personLabel } from '../user-options';
import { MailboxFormModal } from './mailbox-form-modal';
import { mailboxKindLabel } from './mailbox-kind';

type Dialog = { kind: 'create' } | { kind: 'edit' | 'delete'; mailbox: Mailbox } | null;

const KIND_COLORS = { user: 'blue', journal: 'violet', shared: 'cyan' } as const;

export function MailboxesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const mailboxes = useMailboxes();
  const remove = useDeleteMailbox();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const createButton = (
    <Button
      leftSection={<IconMailPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('mailboxes.create')}
    </Button>
  );
  const columns: ListColumn[] = [
    t('mailboxes.name'),
    t('mailboxes.kind'),
    t('mailboxes.addresses'),
    t('mailboxes.owners'),
    t('mailboxes.sharedWith'),
    { label: t('mailboxes.messages'), align: 'right' },
    { label: t('mailboxes.size'), align: 'right' },
  ];
  return (
    <>
      <PageHeader
        title={t('mailboxes.title')}
        description={t('mailboxes.description')}
        actions={createButton}
      />
      <QueryStates
        query={mailboxes}
        empty={<EmptyState title={t('mailboxes.emptyTitle')} description={t('mailboxes.emptyDescription')} />}
      >
        {(data) => (
          <ListTable label={t('mailboxes.title')} columns={columns} withActions minWidth={1000}>
            {data.map((mailbox) => (
              <Table.Tr key={mailbox.id}>
                <Table.Td fw={500}>{mailbox.name}</Table.Td>
                <Table.Td>
                  <Badge color={KIND_COLORS[mailbox.kind]} variant="light">
                    {mailboxKindLabel(t, mailbox.kind)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Stack gap={0}>
                    <Text size="sm">{mailbox.primaryAddress ?? '–'}</Text>
                    {mailbox.secondaryAddresses.map((address) => (
                      <Text size="xs" c="dimmed" key={address}>
                        {address}
                      </Text>
                    ))}
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{mailbox.owners.map(personLabel).join(', ') || '–'}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{mailbox.sharedWith.map((group) => group.name).join(', ') || '–'}</Text>
                </Table.Td>
                <Table.Td ta="right">{format.number(mailbox.messages)}</Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {format.bytes(mailbox.storageBytes)}
                </Table.Td>
                <Table.Td>
                  <RowActions>
                    <RowAction
                      label={t('mailboxes.edit')}
                      icon={IconEdit}
                      onClick={() => setDialog({ kind: 'edit', mailbox })}
                    />
                    <RowAction
                      label={t('mailboxes.delete')}
                      icon={IconTrash}
                      color="red"
                      disabledReason={mailbox.messages > 0 ? t('mailboxes.deleteBlocked') : undefined}
                      onClick={() => setDialog({ kind: 'delete', mailbox })}
                    />
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
      </QueryStates>
      {dialog?.kind === 'create' && <MailboxFormModal onClose={close} />}
      {dialog?.kind === 'edit' && (
        <MailboxFormModal key={dialog.mailbox.id} mailbox={dialog.mailbox} onClose={close} />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          title={t('mailboxes.deleteTitle')}
          message={t('mailboxes.deleteMessage', { name: dialog.mailbox.name })}
          confirmLabel={t('mailboxes.delete')}
          typeToConfirm={dialog.mailbox.name}
          mutation={remove}
          variables={dialog.mailbox.id}
          deletedMessage={t('mailboxes.deleted', { name: dialog.mailbox.name })}
          onClose={close}
        />
      )}
    </>
  );
}
