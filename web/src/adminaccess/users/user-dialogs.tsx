import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { User } from '../../shared/api/types';
import { ConfirmDialog } from '../../shared/components/confirm-dialog';
import { DeleteDialog } from '../../shared/components/delete-dialog';
import { ShownOnceDialog } from '../../shared/components/shown-once-dialog';
import { useDeleteUser, useResetUserPassword, useResetUserTotp } from '../admin.api';
import { UserFormModal } from './user-form-modal';

export type UserDialog =
  | { kind: 'create' }
  | { kind: 'edit' | 'reset-password' | 'reset-totp' | 'delete'; user: User }
  | { kind: 'password'; title: string; login: string; password: string }
  | null;

interface UserDialogsProps {
  dialog: UserDialog;
  setDialog: (dialog: UserDialog) => void;
  onDeleted?: () => void;
}

/** Every dialog of a user, shared by the list and the user's page. */
export function UserDialogs({ dialog, setDialog, onDeleted }: UserDialogsProps) {
  const { t } = useTranslation();
  const resetPassword = useResetUserPassword();
  const resetTotp = useResetUserTotp();
  const remove = useDeleteUser();
  const close = () => {
    setDialog(null);
    resetPassword.reset();
    resetTotp.reset();
  };
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'create':
      return (
        <UserFormModal
          onClose={close}
          onCreated={(user, password) => {
            if (password) {
              setDialog({ kind: 'password', title: t('users.createdTitle'), login: user.login, password });
            } else {
              notifications.show({ color: 'teal', message: t('users.created', { login: user.login }) });
              close();
            }
          }}
        />
      );
    case 'edit':
      return <UserFormModal key={dialog.user.id} user={dialog.user} onClose={close} />;
    case 'reset-password':
      return (
        <ConfirmDialog
          title={t('users.resetPasswordTitle')}
          message={t('users.resetPasswordMessage', { login: dialog.user.login })}
          confirmLabel={t('users.resetPassword')}
          pending={resetPassword.isPending}
          error={resetPassword.error}
          onConfirm={() =>
            resetPassword.mutate(dialog.user.id, {
              onSuccess: (answer) =>
                setDialog({
                  kind: 'password',
                  title: t('users.passwordResetTitle'),
                  login: dialog.user.login,
                  password: answer.password,
                }),
            })
          }
          onClose={close}
        />
      );
    case 'reset-totp':
      return (
        <ConfirmDialog
          title={t('users.resetTotpTitle')}
          message={t('users.resetTotpMessage', { login: dialog.user.login })}
          confirmLabel={t('users.resetTotp')}
          pending={resetTotp.isPending}
          error={resetTotp.error}
          onConfirm={() =>
            resetTotp.mutate(dialog.user.id, {
              onSuccess: () => {
                notifications.show({
                  color: 'teal',
                  message: t('users.totpReset', { login: dialog.user.login }),
                });
                close();
              },
            })
          }
          onClose={close}
        />
      );
    case 'delete':
      return (
        <DeleteDialog
          title={t('users.deleteTitle')}
          message={t('users.deleteMessage', { login: dialog.user.login })}
          confirmLabel={t('users.delete')}
          typeToConfirm={dialog.user.login}
          mutation={remove}
          variables={dialog.user.id}
          deletedMessage={t('users.deleted', { login: dialog.user.login })}
          onClose={close}
          onDeleted={onDeleted}
        />
      );
    case 'password':
      return (
        <ShownOnceDialog
          title={dialog.title}
          values={[
            { id: 'login', label: t('shownOnce.login'), value: dialog.login },
            { id: 'password', label: t('shownOnce.password'), value: dialog.password },
          ]}
          onClose={close}
        />
      );
  }
}
