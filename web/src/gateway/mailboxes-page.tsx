import { ActionIcon, Alert, Badge, Button, Group, Menu, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertTriangle,
  IconDots,
  IconEdit,
  IconEraser,
  IconKey,
  IconPlayerPause,
  IconPlayerPlay,
  IconPlus,
  IconTrash,
} from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../shared/components/confirm-dialog';
import { CopyValueButton } from '../shared/components/copy-value';
import { DeleteDialog } from '../shared/components/delete-dialog';
import { EmptyState } from '../shared/components/empty-state';
import { ListTable, type ListColumn } from '../shared/components/list-table';
import { PageHeader } from '../shared/components/page-header';
import { QueryStates } from '../shared/components/query-states';
import { RowAction, RowActions } from '../shared/components/row-action';
import { useFormat } from '../shared/format';
import { CreateMailboxDialog } from './create-mailbox-dialog';
import { EditMailboxDialog } from './edit-mailbox-dialog';
import {
  useDeleteGatewayMailbox,
  useGatewayMailboxes,
  usePurgeUnreadable,
  useSetGatewayMailboxStatus,
  type GatewayMailbox,
  type GatewayMailboxWithPassword,
  type GatewayPasswordReset,
} from './gateway.api';
import { MailboxPasswordDialog } from './mailbox-password-dialog';
import { MailboxStatusBadge } from './mailbox-status-badge';
import { ResetMailboxPasswordDialog } from './reset-mailbox-password-dialog';

type Dialog =
  | { kind: 'create' }
  | { kind: 'created'; created: GatewayMailboxWithPassword }
  | { kind: 'edit' | 'reset' | 'purge' | 'delete'; mailbox: GatewayMailbox }
  | { kind: 'reset-done'; reset: GatewayPasswordReset }
  | null;

/** The Gateway console's one list: every gateway mailbox, what it received, and what to do with it. */
export function MailboxesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { i18n } = useTranslation();
  const shortDateTime = (ms: number) =>
    new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'short' }).format(ms);
  const mailboxes = useGatewayMailboxes();
  const setStatus = useSetGatewayMailboxStatus();
  const purge = usePurgeUnreadable();
  const remove = useDeleteGatewayMailbox();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);

  const toggle = (mailbox: GatewayMailbox) =>
    setStatus.mutate(
      { id: mailbox.id, action: mailbox.status === 'active' ? 'suspend' : 'resume' },
      {
        onSuccess: (changed) =>
          notifications.show({
            color: 'teal',
            message:
              changed.status === 'active'
                ? t('gateway.resumed', { name: changed.name })
                : t('gateway.suspended', { name: changed.name }),
          }),
        onError: (error) => notifications.show({ color: 'red', message: error.message }),
      },
    );

  const createButton = (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setDialog({ kind: 'create' })}>
      {t('gateway.create')}
    </Button>
  );
  const columns: ListColumn[] = [
    t('gateway.name'),
    t('gateway.status'),
    t('gateway.smtpAddress'),
    { label: t('gateway.messages'), align: 'right' },
    { label: t('gateway.size'), align: 'right' },
    t('gateway.lastReceived'),
  ];

  return (
    <>
      <PageHeader
        title={t('gateway.title')}
        description={t('gateway.description')}
        actions={mailboxes.data?.length ? createButton : undefined}
      />
      <QueryStates
        query={mailboxes}
        empty={
          <EmptyState
            title={t('gateway.emptyTitle')}
            description={t('gateway.emptyDescription')}
            action={createButton}
          />
        }
      >
        {(data) => (
          <ListTable label={t('gateway.title')} columns={columns} withActions minWidth={960}>
            {data.map((mailbox) => (
              <Table.Tr key={mailbox.id} data-testid={`gateway-mailbox-${mailbox.id}`}>
                <Table.Td>
                  <Stack gap={0} maw={240}>
                    <Text fw={500} size="sm">
                      {mailbox.name}
                    </Text>
                    {mailbox.description && (
                      <Text size="xs" c="dimmed" lineClamp={2}>
                        {mailbox.description}
                      </Text>
                    )}
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <MailboxStatusBadge status={mailbox.status} />
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Text size="sm" ff="monospace">
                      <BreakableAddress address={mailbox.address} />
                    </Text>
                    <CopyValueButton
                      value={mailbox.address}
                      label={t('gateway.addressOf', { name: mailbox.name })}
                    />
                  </Group>
                </Table.Td>
                <Table.Td ta="right">
                  <Stack gap={2} align="flex-end">
                    <span data-testid="gateway-mailbox-messages">{format.number(mailbox.messages)}</span>
                    {mailbox.unreadableMessages > 0 && (
                      <Badge color="red" variant="light" size="sm" style={{ minWidth: 'max-content' }}>
                        {t('gateway.unreadableBadge', { count: mailbox.unreadableMessages })}
                      </Badge>
                    )}
                  </Stack>
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {format.bytes(mailbox.bytes)}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {mailbox.lastReceivedAt === null
                    ? t('gateway.never')
                    : shortDateTime(mailbox.lastReceivedAt)}
                </Table.Td>
                <Table.Td>
                  <RowActions>
                    <RowAction
                      label={mailbox.status === 'active' ? t('gateway.suspend') : t('gateway.resume')}
                      icon={mailbox.status === 'active' ? IconPlayerPause : IconPlayerPlay}
                      onClick={() => toggle(mailbox)}
                    />
                    <RowAction
                      label={t('gateway.resetPassword')}
                      icon={IconKey}
                      onClick={() => setDialog({ kind: 'reset', mailbox })}
                    />
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon
                          variant="subtle"
                          aria-label={t('gateway.moreActions', { name: mailbox.name })}
                        >
                          <IconDots size={18} aria-hidden />
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item
                          leftSection={<IconEdit size={16} aria-hidden />}
                          onClick={() => setDialog({ kind: 'edit', mailbox })}
                        >
                          {t('gateway.edit')}
                        </Menu.Item>
                        {mailbox.unreadableMessages > 0 && (
                          <Menu.Item
                            leftSection={<IconEraser size={16} aria-hidden />}
                            color="red"
                            onClick={() => setDialog({ kind: 'purge', mailbox })}
                          >
                            {t('gateway.purge')}
                          </Menu.Item>
                        )}
                        <Menu.Item
                          leftSection={<IconTrash size={16} aria-hidden />}
                          color="red"
                          onClick={() => setDialog({ kind: 'delete', mailbox })}
                        >
                          {t('gateway.delete')}
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
      </QueryStates>

      {dialog?.kind === 'create' && (
        <CreateMailboxDialog
          onClose={close}
          onCreated={(created) => setDialog({ kind: 'created', created })}
        />
      )}
      {dialog?.kind === 'created' && (
        <MailboxPasswordDialog
          title={t('gateway.createdTitle', { name: dialog.created.mailbox.name })}
          address={dialog.created.mailbox.address}
          password={dialog.created.password}
          onFinish={close}
        />
      )}
      {dialog?.kind === 'edit' && <EditMailboxDialog mailbox={dialog.mailbox} onClose={close} />}
      {dialog?.kind === 'reset' && (
        <ResetMailboxPasswordDialog
          mailbox={dialog.mailbox}
          onClose={close}
          onReset={(reset) => setDialog({ kind: 'reset-done', reset })}
        />
      )}
      {dialog?.kind === 'reset-done' && (
        <MailboxPasswordDialog
          title={t('gateway.resetDoneTitle', { name: dialog.reset.mailbox.name })}
          address={dialog.reset.mailbox.address}
          password={dialog.reset.password}
          notice={
            dialog.reset.contentKept ? (
              <Alert color="teal" variant="light" data-testid="content-kept">
                {t('gateway.contentKept')}
              </Alert>
            ) : (
              <Alert
                color="red"
                variant="light"
                icon={<IconAlertTriangle aria-hidden />}
                title={t('gateway.contentLostAfterTitle')}
                data-testid="content-lost"
              >
                {dialog.reset.mailbox.unreadableMessages > 0
                  ? t('gateway.contentLostAfter', { count: dialog.reset.mailbox.unreadableMessages })
                  : t('gateway.contentLostAfterEmpty')}
              </Alert>
            )
          }
          onFinish={() =>
            // Offer to remove what nobody can read any more, right away.
            dialog.reset.mailbox.unreadableMessages > 0
              ? setDialog({ kind: 'purge', mailbox: dialog.reset.mailbox })
              : close()
          }
        />
      )}
      {dialog?.kind === 'purge' && (
        <ConfirmDialog
          title={t('gateway.purgeTitle')}
          message={t('gateway.purgeMessage', {
            count: dialog.mailbox.unreadableMessages,
            name: dialog.mailbox.name,
          })}
          confirmLabel={t('gateway.purgeConfirm')}
          danger
          pending={purge.isPending}
          error={purge.error}
          onConfirm={() =>
            purge.mutate(dialog.mailbox.id, {
              onSuccess: (result) => {
                notifications.show({
                  color: 'teal',
                  message: t('gateway.purged', { count: result.messages, name: dialog.mailbox.name }),
                });
                purge.reset();
                close();
              },
            })
          }
          onClose={() => {
            purge.reset();
            close();
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          title={t('gateway.deleteTitle')}
          message={
            dialog.mailbox.messages > 0
              ? t('gateway.deleteMessage', { name: dialog.mailbox.name, count: dialog.mailbox.messages })
              : t('gateway.deleteMessageEmpty', { name: dialog.mailbox.name })
          }
          confirmLabel={t('gateway.delete')}
          typeToConfirm={dialog.mailbox.name}
          mutation={remove}
          variables={{ id: dialog.mailbox.id, confirmName: dialog.mailbox.name }}
          deletedMessage={t('gateway.deleted', { name: dialog.mailbox.name })}
          onClose={close}
        />
      )}
    </>
  );
}

/** The address, allowed to wrap only before its @ (a 20-character local part, then the domain). */
function BreakableAddress({ address }: { address: string }) {
  const at = address.lastIndexOf('@');
  if (at <= 0) return <>{address}</>;
  return (
    <>
      {address.slice(0, at)}
      <wbr />
      {address.slice(at)}
    </>
  );
}
