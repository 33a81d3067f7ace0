import { ActionIcon, Anchor, Badge, Button, Group, Table, Text, Tooltip } from '@mantine/core';
import { IconEdit, IconKey, IconTrash, IconUserPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { EmptyState } from '../../shared/components/empty-state';
import { ErrorAlert } from '../../shared/components/error-alert';
import { LoadingState } from '../../shared/components/loading-state';
import { OriginBadge, RoleBadges } from '../../shared/components/role-badges';
import { useFormat } from '../../shared/format';
import { useUsers } from '../admin.api';
import { SectionTitle } from '../section-title';
import { UserManagementTabs } from '../user-management-tabs';
import { UserDialogs, type UserDialog } from './user-dialogs';

export function UsersPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const users = useUsers();
  const [dialog, setDialog] = useState<UserDialog>(null);

  const createButton = (
    <Button
      leftSection={<IconUserPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('users.create')}
    </Button>
  );

  return (
    <>
      <UserManagementTabs active="users" />
      <SectionTitle title={t('users.title')} actions={createButton} />
      {users.isPending ? (
        <LoadingState />
      ) : users.isError ? (
        <ErrorAlert error={users.error} onRetry={() => void users.refetch()} />
      ) : users.data.length === 0 ? (
        <EmptyState title={t('users.emptyTitle')} description={t('users.emptyDescription')} />
      ) : (
        <Table.ScrollContainer minWidth={1000}>
          <Table striped highlightOnHover aria-label={t('users.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('users.login')}</Table.Th>
                <Table.Th>{t('users.displayName')}</Table.Th>
                <Table.Th>{t('users.primaryAddress')}</Table.Th>
                <Table.Th>{t('users.groups')}</Table.Th>
                <Table.Th>{t('users.roles')}</Table.Th>
                <Table.Th>{t('users.origin')}</Table.Th>
                <Table.Th>{t('users.status')}</Table.Th>
                <Table.Th>{t('users.lastSignIn')}</Table.Th>
                <Table.Th>
                  <span className="pv-visually-hidden">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.map((user) => (
                <Table.Tr key={user.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/adminaccess/users/${user.id}`} fw={500}>
                      {user.login}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{user.displayName}</Table.Td>
                  <Table.Td>{user.primaryAddress ?? '–'}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{user.groups.map((group) => group.name).join(', ') || '–'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <RoleBadges roles={user.roles} />
                  </Table.Td>
                  <Table.Td>
                    <OriginBadge origin={user.origin} />
                  </Table.Td>
                  <Table.Td>
                    <UserStatusBadges disabled={user.disabled} totpEnabled={user.totpEnabled} />
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    {user.lastSignInAt ? format.dateTime(user.lastSignInAt) : t('users.never')}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap" justify="flex-end">
                      <Tooltip label={t('users.edit')}>
                        <ActionIcon
                          variant="subtle"
                          aria-label={t('users.edit')}
                          onClick={() => setDialog({ kind: 'edit', user })}
                        >
                          <IconEdit size={18} aria-hidden />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label={t('users.resetPassword')}>
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          aria-label={t('users.resetPassword')}
                          onClick={() => setDialog({ kind: 'reset-password', user })}
                        >
                          <IconKey size={18} aria-hidden />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label={t('users.delete')}>
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('users.delete')}
                          onClick={() => setDialog({ kind: 'delete', user })}
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
      <UserDialogs dialog={dialog} setDialog={setDialog} />
    </>
  );
}

export function UserStatusBadges({ disabled, totpEnabled }: { disabled: boolean; totpEnabled: boolean }) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="nowrap">
      {disabled ? (
        <Badge color="red" variant="light">
          {t('users.statusDisabled')}
        </Badge>
      ) : (
        <Badge color="teal" variant="light">
          {t('users.statusActive')}
        </Badge>
      )}
      {totpEnabled && (
        <Badge color="blue" variant="outline">
          {t('users.totpOn')}
        </Badge>
      )}
    </Group>
  );
}
