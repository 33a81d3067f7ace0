import { PasswordInput, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormModal, ModalFooter } from '../shared/components/form-modal';
import { useResetOwnPassword } from './gateway.api';
import { isWrongCurrentPassword } from './wrong-password';

interface ResetOwnPasswordDialogProps {
  onClose: () => void;
  /** The new random password, for the caller to show once. */
  onReset: (password: string) => void;
}

/** Settings → Reset own password: the current password confirms it; a new random one comes back. */
export function ResetOwnPasswordDialog({ onClose, onReset }: ResetOwnPasswordDialogProps) {
  const { t } = useTranslation();
  const reset = useResetOwnPassword();
  const [currentPassword, setCurrentPassword] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const wrongPassword = isWrongCurrentPassword(reset.error);

  const submit = () => {
    setSubmitted(true);
    if (!currentPassword || reset.isPending) return;
    reset.mutate(currentPassword, { onSuccess: (answer) => onReset(answer.password) });
  };

  return (
    <FormModal title={t('gatewaySettings.resetOwnPassword')} onClose={onClose} onSubmit={submit}>
      <Text size="sm">{t('gatewaySettings.resetOwnPasswordIntro')}</Text>
      <PasswordInput
        label={t('password.current')}
        value={currentPassword}
        onChange={(event) => {
          setCurrentPassword(event.currentTarget.value);
          if (wrongPassword) reset.reset();
        }}
        autoComplete="current-password"
        required
        error={
          submitted && !currentPassword
            ? t('validation.required')
            : wrongPassword
              ? t('gatewaySettings.wrongPassword')
              : undefined
        }
        visibilityToggleButtonProps={{ 'aria-label': t('common.showCharacters') }}
        data-autofocus
      />
      <ModalFooter
        submitLabel={t('gatewaySettings.resetSubmit')}
        pending={reset.isPending}
        error={wrongPassword ? null : reset.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
