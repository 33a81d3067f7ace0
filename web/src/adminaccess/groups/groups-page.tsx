import { Anchor, Button, Table, Text } from '@mantine/core';
import { IconUsersPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { EmptyState } from '../../shared/components/empty-state';
import { ListTable } from '../../shared/components/list-table';
import { QueryStates } from '../../shared/components/query-states';
import { OriginBadge, RoleBadges } from '../../shared/components/role-badges';
import { useGroups } from '../admin.api';
import { SectionTitle } from '../section-title';
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
  const columns = [
    t('groups.name'),
    t('groups.descriptionLabel'),
    t('groups.members'),
    t('groups.roles'),
    t('groups.origin'),
  ];
  return (
    <>
      <SectionTitle title={t('groups.title')} actions={createButton} />
      <QueryStates
        query={groups}
        empty={<EmptyState title={t('groups.emptyTitle')} description={t('groups.emptyDescription')} />}
      >
        {(data) => (
          <ListTable label={t('groups.title')} columns={columns} withActions minWidth={800}>
            {data.map((group) => (
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
          </ListTable>
        )}
      </QueryStates>
      <GroupDialogs dialog={dialog} setDialog={setDialog} />
    </>
  );
}
