import { Alert, Checkbox, PasswordInput, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormModal, ModalFooter } from '../shared/components/form-modal';
import { isWrongCurrentPassword } from './wrong-password';
import {
  useResetGatewayMailboxPassword,
  type GatewayMailbox,
  type GatewayPasswordReset,
} from './gateway.api';

interface ResetMailboxPasswordDialogProps {
  mailbox: GatewayMailbox;
  onClose: () => void;
  /** The new password (shown once by the caller), and whether the content survived. */
  onReset: (reset: GatewayPasswordReset) => void;
}

/**
 * Reset mailbox password. With the current password the mailbox's key is locked under a new one and
 * the mail stays readable; without it a new key is made and the mail in the mailbox is lost for good,
 * which the dialog says before anything happens.
 */
export function ResetMailboxPasswordDialog({ mailbox, onClose, onReset }: ResetMailboxPasswordDialogProps) {
  const { t } = useTranslation();
  const reset = useResetGatewayMailboxPassword();
  const [currentPassword, setCurrentPassword] = useState('');
  const [withoutPassword, setWithoutPassword] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const missing = !withoutPassword && !currentPassword.trim();
  // A wrong password is said at the field, in the console's language.
  const wrongPassword = isWrongCurrentPassword(reset.error);

  const submit = () => {
    setSubmitted(true);
    if (missing || reset.isPending) return;
    reset.mutate(
      { id: mailbox.id, ...(withoutPassword ? {} : { currentPassword: currentPassword.trim() }) },
      { onSuccess: onReset },
    );
  };

  return (
    <FormModal title={t('gateway.resetTitle', { name: mailbox.name })} onClose={onClose} onSubmit={submit}>
      <Text size="sm">{t('gateway.resetIntro')}</Text>
      <PasswordInput
        label={t('gateway.currentPassword')}
        description={t('gateway.currentPasswordHint')}
        value={currentPassword}
        onChange={(event) => {
          setCurrentPassword(event.currentTarget.value);
          if (wrongPassword) reset.reset();
        }}
        disabled={withoutPassword}
        autoComplete="off"
        spellCheck={false}
        error={
          submitted && missing
            ? t('validation.required')
            : wrongPassword && !withoutPassword
              ? t('gateway.wrongCurrentPassword')
              : undefined
        }
        visibilityToggleButtonProps={{ 'aria-label': t('common.showCharacters') }}
        data-autofocus
      />
      <Checkbox
        label={t('gateway.noCurrentPassword')}
        checked={withoutPassword}
        onChange={(event) => setWithoutPassword(event.currentTarget.checked)}
      />
      {withoutPassword && (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertTriangle aria-hidden />}
          title={t('gateway.contentLostTitle')}
          data-testid="content-lost-warning"
        >
          {mailbox.messages > 0
            ? t('gateway.contentLostBefore', { count: mailbox.messages })
            : t('gateway.contentLostBeforeEmpty')}
        </Alert>
      )}
      <ModalFooter
        submitLabel={t('gateway.resetSubmit')}
        pending={reset.isPending}
        error={wrongPassword ? null : reset.error}
        onCancel={onClose}
        danger={withoutPassword}
      />
    </FormModal>
  );
}
