import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Group, Role } from '../../shared/api/types';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useSetGroupRoles } from '../admin.api';
import { RoleCheckboxes } from './role-checkboxes';

/** The wrench dialog: which roles the group's members get. */
export function GroupRolesModal({ group, onClose }: { group: Group; onClose: () => void }) {
  const { t } = useTranslation();
  const setRoles = useSetGroupRoles();
  const [roles, setRolesDraft] = useState<Role[]>(group.roles);
  const submit = () => {
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
    <FormModal
      title={t('groups.rolesTitle', { name: group.name })}
      size="lg"
      onClose={onClose}
      onSubmit={submit}
    >
      <RoleCheckboxes value={roles} onChange={setRolesDraft} autoFocus />
      <ModalFooter
        submitLabel={t('common.save')}
        pending={setRoles.isPending}
        error={setRoles.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
