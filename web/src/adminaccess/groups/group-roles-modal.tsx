import { Button, Group as MantineGroup, Modal, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Group, Role } from '../../shared/api/types';
import { ErrorAlert } from '../../shared/components/error-alert';
import { useSetGroupRoles } from '../admin.api';
import { RoleCheckboxes } from './role-checkboxes';

/** The wrench dialog: which roles the group's members get. */
export function GroupRolesModal({ group, onClose }: { group: Group; onClose: () => void }) {
  const { t } = useTranslation();
  const setRoles = useSetGroupRoles();
  const [roles, setRolesDraft] = useState<Role[]>(group.roles);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setRoles.mutate(
      { id: group.id, roles },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: t('groups.rolesSaved', { name: group.name }) });
          onClose();
        },
      },
    );
  };
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('groups.rolesTitle', { name: group.name })}
      size="lg"
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <RoleCheckboxes value={roles} onChange={setRolesDraft} autoFocus />
          {setRoles.error && <ErrorAlert error={setRoles.error} />}
          <MantineGroup justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={setRoles.isPending}>
              {t('common.save')}
            </Button>
          </MantineGroup>
        </Stack>
      </form>
    </Modal>
  );
}
