import { useTranslation } from 'react-i18next';
import type { Group } from '../../shared/api/types';
import { DeleteDialog } from '../../shared/components/delete-dialog';
import { useDeleteGroup } from '../admin.api';
import { GroupFormModal } from './group-form-modal';
import { GroupRolesModal } from './group-roles-modal';

export type GroupDialog = { kind: 'create' } | { kind: 'edit' | 'roles' | 'delete'; group: Group } | null;

interface GroupDialogsProps {
  dialog: GroupDialog;
  setDialog: (dialog: GroupDialog) => void;
  onDeleted?: () => void;
}

export function GroupDialogs({ dialog, setDialog, onDeleted }: GroupDialogsProps) {
  const { t } = useTranslation();
  const remove = useDeleteGroup();
  const close = () => setDialog(null);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'create':
      return <GroupFormModal onClose={close} />;
    case 'edit':
      return <GroupFormModal key={dialog.group.id} group={dialog.group} onClose={close} />;
    case 'roles':
      return <GroupRolesModal key={dialog.group.id} group={dialog.group} onClose={close} />;
    case 'delete':
      return (
        <DeleteDialog
          title={t('groups.deleteTitle')}
          message={t('groups.deleteMessage', { name: dialog.group.name })}
          confirmLabel={t('groups.delete')}
          typeToConfirm={dialog.group.name}
          mutation={remove}
          variables={dialog.group.id}
          deletedMessage={t('groups.deleted', { name: dialog.group.name })}
          onClose={close}
          onDeleted={onDeleted}
        />
      );
  }
}
