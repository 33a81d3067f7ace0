import { Anchor, Badge, Button, Group, Table, Text } from '@mantine/core';
import { IconEdit, IconKey, IconTrash, IconUserPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable } from '../../shared/components/list-table';
import { QueryStates } from '../../shared/components/query-states';
import { OriginBadge, RoleBadges } from '../../shared/components/role-badges';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { useUsers } from '../admin.api';
import { SectionTitle } from '../section-title';
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
  const columns = [
    t('users.login'),
    t('users.displayName'),
    t('users.primaryAddress'),
    t('users.groups'),
    t('users.roles'),
    t('users.origin'),
    t('users.status'),
    t('users.lastSignIn'),
  ];

  return (
    <>
      <SectionTitle title={t('users.title')} actions={createButton} />
      <QueryStates
        query={users}
        empty={<EmptyState title={t('users.emptyTitle')} description={t('users.emptyDescription')} />}
      >
        {(data) => (
          <ListTable label={t('users.title')} columns={columns} withActions minWidth={1000}>
            {data.map((user) => (
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
                  <RowActions>
                    <RowAction
                      label={t('users.edit')}
                      icon={IconEdit}
                      onClick={() => setDialog({ kind: 'edit', user })}
                    />
                    <RowAction
                      label={t('users.resetPassword')}
                      icon={IconKey}
                      color="gray"
                      onClick={() => setDialog({ kind: 'reset-password', user })}
                      disabledReason={user.origin === 'local' ? undefined : t('users.resetPasswordSynced')}
                    />
                    <RowAction
                      label={t('users.delete')}
                      icon={IconTrash}
                      color="red"
                      onClick={() => setDialog({ kind: 'delete', user })}
                    />
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
      </QueryStates>
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
