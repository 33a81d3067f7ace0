import { ActionIcon, Badge, Button, Group, Stack, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEdit, IconMailPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Mailbox } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { ErrorAlert } from '../../shared/components/error-alert';
import { LoadingState } from '../../shared/components/loading-state';
import { PageHeader } from '../../shared/components/page-header';
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
  const close = () => {
    setDialog(null);
    remove.reset();
  };
  const createButton = (
    <Button
      leftSection={<IconMailPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('mailboxes.create')}
    </Button>
  );
  return (
    <>
      <PageHeader
        title={t('mailboxes.title')}
        description={t('mailboxes.description')}
        actions={createButton}
      />
      {mailboxes.isPending ? (
        <LoadingState />
      ) : mailboxes.isError ? (
        <ErrorAlert error={mailboxes.error} onRetry={() => void mailboxes.refetch()} />
      ) : mailboxes.data.length === 0 ? (
        <EmptyState title={t('mailboxes.emptyTitle')} description={t('mailboxes.emptyDescription')} />
      ) : (
        <Table.ScrollContainer minWidth={1000}>
          <Table striped highlightOnHover aria-label={t('mailboxes.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('mailboxes.name')}</Table.Th>
                <Table.Th>{t('mailboxes.kind')}</Table.Th>
                <Table.Th>{t('mailboxes.addresses')}</Table.Th>
                <Table.Th>{t('mailboxes.owners')}</Table.Th>
                <Table.Th>{t('mailboxes.sharedWith')}</Table.Th>
                <Table.Th ta="right">{t('mailboxes.messages')}</Table.Th>
                <Table.Th ta="right">{t('mailboxes.size')}</Table.Th>
                <Table.Th>
                  <span className="pv-visually-hidden">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {mailboxes.data.map((mailbox) => {
                const holdsMessages = mailbox.messages > 0;
                return (
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
                      <Group gap={4} wrap="nowrap" justify="flex-end">
                        <Tooltip label={t('mailboxes.edit')}>
                          <ActionIcon
                            variant="subtle"
                            aria-label={t('mailboxes.edit')}
                            onClick={() => setDialog({ kind: 'edit', mailbox })}
                          >
                            <IconEdit size={18} aria-hidden />
                          </ActionIcon>
                        </Tooltip>
                        <Tooltip label={holdsMessages ? t('mailboxes.deleteBlocked') : t('mailboxes.delete')}>
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            aria-label={t('mailboxes.delete')}
                            aria-disabled={holdsMessages || undefined}
                            data-disabled={holdsMessages || undefined}
                            onClick={() => {
                              if (!holdsMessages) setDialog({ kind: 'delete', mailbox });
                            }}
                          >
                            <IconTrash size={18} aria-hidden />
                          </ActionIcon>
                        </Tooltip>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {dialog?.kind === 'create' && <MailboxFormModal onClose={close} />}
      {dialog?.kind === 'edit' && (
        <MailboxFormModal key={dialog.mailbox.id} mailbox={dialog.mailbox} onClose={close} />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={t('mailboxes.deleteTitle')}
          message={t('mailboxes.deleteMessage', { name: dialog.mailbox.name })}
          confirmLabel={t('mailboxes.delete')}
          typeToConfirm={dialog.mailbox.name}
          danger
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(dialog.mailbox.id, {
              onSuccess: () => {
                notifications.show({
                  color: 'teal',
                  message: t('mailboxes.deleted', { name: dialog.mailbox.name }),
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
