import { Alert, Anchor, Button, List, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconEdit, IconTool, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import type { Group } from '../../shared/api/types';
import { ActionButton } from '../../shared/components/action-button';
import { BackLink } from '../../shared/components/back-link';
import { NotFoundPage } from '../../shared/components/not-found-page';
import { QueryStates } from '../../shared/components/query-states';
import { OriginBadge, RoleBadges } from '../../shared/components/role-badges';
import { useDocumentTitle } from '../../shared/document-title';
import { useFormat } from '../../shared/format';
import { routeId } from '../../shared/route-id';
import { useGroup } from '../admin.api';
import { DetailsTable } from '../details-table';
import { SectionTitle } from '../section-title';
import { personLabel } from '../user-options';
import { GroupDialogs, type GroupDialog } from './group-dialogs';

export function GroupDetailPage() {
  const { t } = useTranslation();
  const { groupId } = useParams();
  const id = routeId(groupId);
  const group = useGroup(id);
  return (
    <>
      <BackLink to="/adminaccess/groups" label={t('groups.backToList')} />
      {Number.isInteger(id) ? (
        <QueryStates query={group}>{(data) => <GroupDetail group={data} />}</QueryStates>
      ) : (
        <NotFoundPage home="/adminaccess/groups" />
      )}
    </>
  );
}

function GroupDetail({ group }: { group: Group }) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<GroupDialog>(null);
  useDocumentTitle(`${group.name} · ${t('groups.title')}`);
  return (
    <Stack>
      <SectionTitle
        title={group.name}
        actions={
          <>
            <Button
              variant="default"
              leftSection={<IconEdit size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'edit', group })}
            >
              {t('groups.edit')}
            </Button>
            <Button
              variant="default"
              leftSection={<IconTool size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'roles', group })}
            >
              {t('groups.editRoles')}
            </Button>
            <ActionButton
              color="red"
              variant="light"
              leftSection={<IconTrash size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'delete', group })}
              disabledReason={group.origin === 'local' ? undefined : t('groups.deleteSynced')}
            >
              {t('groups.delete')}
            </ActionButton>
          </>
        }
      />
      {group.roles.length === 0 && (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {t('groups.noRolesHint')}
        </Alert>
      )}
      <DetailsTable
        rows={[
          [t('groups.name'), group.name],
          [t('groups.descriptionLabel'), group.description || '–'],
          [t('groups.roles'), <RoleBadges key="roles" roles={group.roles} />],
          [t('groups.origin'), <OriginBadge key="origin" origin={group.origin} />],
          [t('common.created'), format.dateTime(group.createdAt)],
        ]}
      />
      <SectionTitle title={t('groups.membersCount', { count: group.members.length })} />
      {group.members.length === 0 ? (
        <Text c="dimmed">{t('groups.noMembers')}</Text>
      ) : (
        <List>
          {group.members.map((member) => (
            <List.Item key={member.id}>
              <Anchor component={Link} to={`/adminaccess/users/${member.id}`}>
                {personLabel(member)}
              </Anchor>
            </List.Item>
          ))}
        </List>
      )}
      <GroupDialogs
        dialog={dialog}
        setDialog={setDialog}
        onDeleted={() => void navigate('/adminaccess/groups')}
      />
    </Stack>
  );
}
