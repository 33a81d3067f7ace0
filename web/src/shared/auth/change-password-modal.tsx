import { Button, Group, Modal, PasswordInput, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../components/error-alert';
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

  const submit = (event: FormEvent) => {
    event.preventDefault();
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
    <Modal
      opened
      onClose={onClose}
      title={t('password.title')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack>
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
          {changePassword.error && <ErrorAlert error={changePassword.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={changePassword.isPending}>
              {t('password.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
