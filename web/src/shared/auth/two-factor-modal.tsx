import { Alert, Button, Code, Group, Image, List, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconShieldCheck } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyValueButton } from '../components/copy-value';
import { ErrorAlert } from '../components/error-alert';
import { ModalFooter } from '../components/form-modal';
import { useCurrentSession, useTotpDisable, useTotpEnable, useTotpSetup } from '../session/session.hooks';
import { TotpCodeInput } from './totp-code-input';

/**
 * Two-factor authentication of the signed-in user: set-up (QR code, secret, a first code, then the
 * recovery codes shown once) or, when it is on, turning it off with the password.
 */
export function TwoFactorModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const session = useCurrentSession();
  // Decided once when the dialog opens, so the recovery codes stay on screen after the session refreshes.
  const [enabledAtStart] = useState(session.user.totpEnabled);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);

  if (recoveryCodes) {
    return <RecoveryCodesModal codes={recoveryCodes} onClose={onClose} />;
  }
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('totp.title')}
      size="lg"
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      {enabledAtStart ? (
        <DisableTotp onClose={onClose} />
      ) : (
        <SetUpTotp onClose={onClose} onEnabled={setRecoveryCodes} />
      )}
    </Modal>
  );
}

function SetUpTotp({ onClose, onEnabled }: { onClose: () => void; onEnabled: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const setup = useTotpSetup();
  const enable = useTotpEnable();
  const [code, setCode] = useState('');

  if (!setup.data) {
    return (
      <Stack>
        <Text>{t('totp.intro')}</Text>
        {setup.error && <ErrorAlert error={setup.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={() => setup.mutate()} loading={setup.isPending} data-autofocus>
            {t('totp.begin')}
          </Button>
        </Group>
      </Stack>
    );
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = code.replace(/\s+/g, '');
    if (!value) return;
    enable.mutate(value, { onSuccess: (answer) => onEnabled(answer.recoveryCodes) });
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <List type="ordered" spacing="xs">
          <List.Item>{t('totp.stepScan')}</List.Item>
          <List.Item>{t('totp.stepCode')}</List.Item>
        </List>
        <Group align="flex-start" wrap="wrap">
          <Image src={setup.data.qrCodeDataUrl} alt={t('totp.qrAlt')} w={200} h={200} fit="contain" />
          <Stack gap={4} flex={1} miw={220}>
            <Text size="sm" fw={600} id="totp-secret-label">
              {t('totp.secret')}
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Code block flex={1} data-testid="totp-secret" aria-labelledby="totp-secret-label">
                {setup.data.secret}
              </Code>
              <CopyValueButton value={setup.data.secret} label={t('totp.secret')} />
            </Group>
            <Text size="xs" c="dimmed">
              {t('totp.secretHint')}
            </Text>
          </Stack>
        </Group>
        <TotpCodeInput label={t('totp.code')} value={code} onChange={setCode} data-autofocus />
        <ModalFooter
          submitLabel={t('totp.enable')}
          pending={enable.isPending}
          error={enable.error}
          onCancel={onClose}
          disabled={!code.trim()}
        />
      </Stack>
    </form>
  );
}

function DisableTotp({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const disable = useTotpDisable();
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!password) return;
    disable.mutate(password, {
      onSuccess: () => {
        notifications.show({ color: 'teal', message: t('totp.disabled') });
        onClose();
      },
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Alert color="teal" variant="light" icon={<IconShieldCheck aria-hidden />}>
          {t('totp.isOn')}
        </Alert>
        <Text size="sm">{t('totp.disableHint')}</Text>
        <PasswordInput
          label={t('totp.password')}
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          autoComplete="current-password"
          required
          visibilityToggleButtonProps={{ 'aria-label': t('common.showCharacters') }}
          data-autofocus
        />
        <ModalFooter
          submitLabel={t('totp.disable')}
          pending={disable.isPending}
          error={disable.error}
          onCancel={onClose}
          danger
          disabled={!password}
        />
      </Stack>
    </form>
  );
}

function RecoveryCodesModal({ codes, onClose }: { codes: string[]; onClose: () => void }) {
  const { t } = useTranslation();
  const text = codes.join('\n');
  return (
    <Modal
      opened
      onClose={() => undefined}
      title={t('totp.recoveryTitle')}
      withCloseButton={false}
      closeOnEscape={false}
      closeOnClickOutside={false}
      data-testid="recovery-codes-dialog"
    >
      <Stack>
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {t('totp.recoveryWarning')}
        </Alert>
        <Group align="flex-start" wrap="nowrap">
          <Code block flex={1} data-testid="recovery-codes" fz="md">
            {text}
          </Code>
          <CopyValueButton value={text} label={t('totp.recoveryCodes')} />
        </Group>
        <Group justify="flex-end">
          <Button onClick={onClose} data-autofocus>
            {t('shownOnce.close')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
