import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconEdit, IconKey, IconShieldOff, IconTrash } from '@tabler/icons-react';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import type { User } from '../../shared/api/types';
import { ActionButton } from '../../shared/components/action-button';
import { BackLink } from '../../shared/components/back-link';
import { NotFoundPage } from '../../shared/components/not-found-page';
import { QueryStates } from '../../shared/components/query-states';
import { OriginBadge, RoleBadges } from '../../shared/components/role-badges';
import { useDocumentTitle } from '../../shared/document-title';
import { useFormat } from '../../shared/format';
import { routeId } from '../../shared/route-id';
import { useUser } from '../admin.api';
import { DetailsTable } from '../details-table';
import { SectionTitle } from '../section-title';
import { UserDialogs, type UserDialog } from './user-dialogs';
import { otherAddresses } from './user-form-modal';
import { UserStatusBadges } from './users-page';

export function UserDetailPage() {
  const { t } = useTranslation();
  const { userId } = useParams();
  const id = routeId(userId);
  const user = useUser(id);
  return (
    <>
      <BackLink to="/adminaccess/users" label={t('users.backToList')} />
      {Number.isInteger(id) ? (
        <QueryStates query={user}>{(data) => <UserDetail user={data} />}</QueryStates>
      ) : (
        <NotFoundPage home="/adminaccess/users" />
      )}
    </>
  );
}

function UserDetail({ user }: { user: User }) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<UserDialog>(null);
  const others = otherAddresses(user);
  useDocumentTitle(`${user.login} · ${t('users.title')}`);
  return (
    <Stack>
      <SectionTitle
        title={user.displayName || user.login}
        actions={
          <>
            <Button
              variant="default"
              leftSection={<IconEdit size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'edit', user })}
            >
              {t('users.edit')}
            </Button>
            <ActionButton
              variant="default"
              leftSection={<IconKey size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'reset-password', user })}
              disabledReason={user.origin === 'local' ? undefined : t('users.resetPasswordSynced')}
            >
              {t('users.resetPassword')}
            </ActionButton>
            <Button
              variant="default"
              leftSection={<IconShieldOff size={18} aria-hidden />}
              disabled={!user.totpEnabled}
              onClick={() => setDialog({ kind: 'reset-totp', user })}
            >
              {t('users.resetTotp')}
            </Button>
            <Button
              color="red"
              variant="light"
              leftSection={<IconTrash size={18} aria-hidden />}
              onClick={() => setDialog({ kind: 'delete', user })}
            >
              {t('users.delete')}
            </Button>
          </>
        }
      />
      {!user.roles.includes('reader') && (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {t('users.noReaderHint')}{' '}
          <Anchor component={Link} to="/adminaccess/groups">
            {t('users.openGroups')}
          </Anchor>
        </Alert>
      )}
      <DetailsTable
        rows={[
          [t('users.login'), user.login],
          [t('users.displayName'), user.displayName || '–'],
          [t('users.primaryAddress'), user.primaryAddress ?? '–'],
          [t('users.otherAddresses'), others.length ? others.join(', ') : '–'],
          [t('users.origin'), <OriginBadge key="origin" origin={user.origin} />],
          [
            t('users.status'),
            <UserStatusBadges key="status" disabled={user.disabled} totpEnabled={user.totpEnabled} />,
          ],
          [
            t('users.groups'),
            user.groups.length ? (
              <Text size="sm" key="groups">
                {user.groups.map((group, index) => (
                  <Fragment key={group.id}>
                    {index > 0 && ', '}
                    <Anchor component={Link} to={`/adminaccess/groups/${group.id}`}>
                      {group.name}
                    </Anchor>
                  </Fragment>
                ))}
              </Text>
            ) : (
              '–'
            ),
          ],
          [t('users.roles'), <RoleBadges key="roles" roles={user.roles} />],
          [t('users.provisioned'), user.provisioned ? t('common.yes') : t('common.no')],
          [t('users.lastSignIn'), user.lastSignInAt ? format.dateTime(user.lastSignInAt) : t('users.never')],
          [t('common.created'), format.dateTime(user.createdAt)],
        ]}
      />
      <UserDialogs
        dialog={dialog}
        setDialog={setDialog}
        onDeleted={() => void navigate('/adminaccess/users')}
      />
    </Stack>
  );
}
