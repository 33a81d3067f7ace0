import { Anchor, Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLanguage, isLanguage, LANGUAGE_NAMES } from '../i18n';
import { LANGUAGES } from '../shared/api/types';
import { errorTitle } from '../shared/components/error-alert';
import { ShownOnceDialog } from '../shared/components/shown-once-dialog';
import { useChangeLanguage } from '../shared/session/session.hooks';
import { ResetOwnPasswordDialog } from './reset-own-password-dialog';

type Step = { kind: 'settings' } | { kind: 'reset-password' } | { kind: 'new-password'; password: string };

/**
 * User menu → Settings: the language (applied and saved as soon as it is picked) and, next to the
 * password, "Reset own password".
 */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const changeLanguage = useChangeLanguage();
  const [step, setStep] = useState<Step>({ kind: 'settings' });

  if (step.kind === 'reset-password') {
    return (
      <ResetOwnPasswordDialog
        onClose={() => setStep({ kind: 'settings' })}
        onReset={(password) => setStep({ kind: 'new-password', password })}
      />
    );
  }
  if (step.kind === 'new-password') {
    return (
      <ShownOnceDialog
        title={t('gatewaySettings.newPasswordTitle')}
        description={t('gatewaySettings.newPasswordDescription')}
        values={[{ id: 'password', label: t('gatewaySettings.newPassword'), value: step.password }]}
        onClose={() => {
          notifications.show({ color: 'teal', message: t('gatewaySettings.passwordReset') });
          setStep({ kind: 'settings' });
        }}
      />
    );
  }
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('gatewaySettings.title')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <Stack>
        <Select
          label={t('language.label')}
          data={LANGUAGES.map((language) => ({ value: language, label: LANGUAGE_NAMES[language] }))}
          value={currentLanguage()}
          allowDeselect={false}
          disabled={changeLanguage.isPending}
          onChange={(value) => {
            if (!isLanguage(value)) return;
            changeLanguage.mutate(value, {
              onError: (error) =>
                notifications.show({
                  color: 'red',
                  title: t('language.saveFailed'),
                  message: `${errorTitle(t, error)}: ${error.message}`,
                }),
            });
          }}
          data-autofocus
        />
        <Stack gap={2}>
          <Text size="sm" fw={500} id="gateway-settings-password">
            {t('gatewaySettings.password')}
          </Text>
          <Group gap="xs">
            <Text size="sm" c="dimmed" aria-hidden>
              ••••••••••
            </Text>
            <Anchor
              component="button"
              type="button"
              size="sm"
              onClick={() => setStep({ kind: 'reset-password' })}
              aria-describedby="gateway-settings-password"
            >
              {t('gatewaySettings.resetOwnPassword')}
            </Anchor>
          </Group>
        </Stack>
        <Group justify="flex-end">
          <Button onClick={onClose}>{t('gatewaySettings.ok')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
