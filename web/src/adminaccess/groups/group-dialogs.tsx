import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { Group } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
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
  const close = () => {
    setDialog(null);
    remove.reset();
  };
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
        <ConfirmDialog
          title={t('groups.deleteTitle')}
          message={t('groups.deleteMessage', { name: dialog.group.name })}
          confirmLabel={t('groups.delete')}
          typeToConfirm={dialog.group.name}
          danger
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(dialog.group.id, {
              onSuccess: () => {
                notifications.show({
                  color: 'teal',
                  message: t('groups.deleted', { name: dialog.group.name }),
                });
                close();
                onDeleted?.();
              },
            })
          }
          onClose={close}
        />
      );
  }
}
