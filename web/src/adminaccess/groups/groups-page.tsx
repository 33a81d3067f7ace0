import { Anchor, Button, Table, Text } from '@mantine/core';
import { IconUsersPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { EmptyState } from '../../shared/components/empty-state';
import { ErrorAlert } from '../../shared/components/error-alert';
import { LoadingState } from '../../shared/components/loading-state';
import { OriginBadge, RoleBadges } from '../../shared/components/role-badges';
import { useGroups } from '../admin.api';
import { SectionTitle } from '../section-title';
import { UserManagementTabs } from '../user-management-tabs';
import { GroupActions } from './group-actions';
import { GroupDialogs, type GroupDialog } from './group-dialogs';

export function GroupsPage() {
  const { t } = useTranslation();
  const groups = useGroups();
  const [dialog, setDialog] = useState<GroupDialog>(null);
  const createButton = (
    <Button
      leftSection={<IconUsersPlus size={18} aria-hidden />}
      onClick={() => setDialog({ kind: 'create' })}
    >
      {t('groups.create')}
    </Button>
  );
  return (
    <>
      <UserManagementTabs active="groups" />
      <SectionTitle title={t('groups.title')} actions={createButton} />
      {groups.isPending ? (
        <LoadingState />
      ) : groups.isError ? (
        <ErrorAlert error={groups.error} onRetry={() => void groups.refetch()} />
      ) : groups.data.length === 0 ? (
        <EmptyState title={t('groups.emptyTitle')} description={t('groups.emptyDescription')} />
      ) : (
        <Table.ScrollContainer minWidth={800}>
          <Table striped highlightOnHover aria-label={t('groups.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('groups.name')}</Table.Th>
                <Table.Th>{t('groups.descriptionLabel')}</Table.Th>
                <Table.Th>{t('groups.members')}</Table.Th>
                <Table.Th>{t('groups.roles')}</Table.Th>
                <Table.Th>{t('groups.origin')}</Table.Th>
                <Table.Th>
                  <span className="pv-visually-hidden">{t('common.actions')}</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {groups.data.map((group) => (
                <Table.Tr key={group.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/adminaccess/groups/${group.id}`} fw={500}>
                      {group.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {group.description || '–'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{group.members.length}</Table.Td>
                  <Table.Td>
                    <RoleBadges roles={group.roles} />
                  </Table.Td>
                  <Table.Td>
                    <OriginBadge origin={group.origin} />
                  </Table.Td>
                  <Table.Td>
                    <GroupActions group={group} open={setDialog} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <GroupDialogs dialog={dialog} setDialog={setDialog} />
    </>
  );
}
