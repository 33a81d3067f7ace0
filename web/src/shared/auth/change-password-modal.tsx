import { PasswordInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormModal, ModalFooter } from '../components/form-modal';
import { useChangePassword } from '../session/session.hooks';

export const MIN_PASSWORD_LENGTH = 10;

export function ChangePasswordModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const changePassword = useChangePassword();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [submitted, setSubmitted] = useState(false);

  const tooShort = newPassword.length < MIN_PASSWORD_LENGTH;
  const mismatch = repeat !== newPassword;
  const toggleLabel = { 'aria-label': t('common.showCharacters') };

  const submit = () => {
    setSubmitted(true);
    if (!currentPassword || tooShort || mismatch) return;
    changePassword.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: t('password.changed') });
          onClose();
        },
      },
    );
  };

  return (
    <FormModal title={t('password.title')} onClose={onClose} onSubmit={submit}>
      <PasswordInput
        label={t('password.current')}
        value={currentPassword}
        onChange={(event) => setCurrentPassword(event.currentTarget.value)}
        autoComplete="current-password"
        required
        error={submitted && !currentPassword ? t('validation.required') : undefined}
        visibilityToggleButtonProps={toggleLabel}
        data-autofocus
      />
      <PasswordInput
        label={t('password.new')}
        description={t('password.rule', { count: MIN_PASSWORD_LENGTH })}
        value={newPassword}
        onChange={(event) => setNewPassword(event.currentTarget.value)}
        autoComplete="new-password"
        required
        error={submitted && tooShort ? t('password.tooShort', { count: MIN_PASSWORD_LENGTH }) : undefined}
        visibilityToggleButtonProps={toggleLabel}
      />
      <PasswordInput
        label={t('password.repeat')}
        value={repeat}
        onChange={(event) => setRepeat(event.currentTarget.value)}
        autoComplete="new-password"
        required
        error={submitted && mismatch ? t('password.mismatch') : undefined}
        visibilityToggleButtonProps={toggleLabel}
      />
      <ModalFooter
        submitLabel={t('password.submit')}
        pending={changePassword.isPending}
        error={changePassword.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
