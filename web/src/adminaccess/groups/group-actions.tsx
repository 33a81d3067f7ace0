import { IconEdit, IconTool, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Group } from '../../shared/api/types';
import { RowAction, RowActions } from '../../shared/components/row-action';
import type { GroupDialog } from './group-dialogs';

/** Edit, the wrench for roles, delete. */
export function GroupActions({ group, open }: { group: Group; open: (dialog: GroupDialog) => void }) {
  const { t } = useTranslation();
  return (
    <RowActions>
      <RowAction label={t('groups.edit')} icon={IconEdit} onClick={() => open({ kind: 'edit', group })} />
      <RowAction
        label={t('groups.editRoles')}
        icon={IconTool}
        color="grape"
        onClick={() => open({ kind: 'roles', group })}
        data-testid={`edit-roles-${group.id}`}
      />
      <RowAction
        label={t('groups.delete')}
        icon={IconTrash}
        color="red"
        onClick={() => open({ kind: 'delete', group })}
        disabledReason={group.origin === 'local' ? undefined : t('groups.deleteSynced')}
      />
    </RowActions>
  );
}
