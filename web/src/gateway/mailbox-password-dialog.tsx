import { Alert, Button, Checkbox, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyValueButton } from '../shared/components/copy-value';

interface MailboxPasswordDialogProps {
  title: string;
  /** The mailbox's SMTP address (also the POP3 user name), shown with the password. */
  address: string;
  password: string;
  /** Said before the warning, e.g. that the content before a reset is lost. */
  notice?: ReactNode;
  onFinish: () => void;
}

/**
 * A gateway mailbox password, shown this once: Postvault does not keep it, and without it the mail in
 * the mailbox can never be read. The dialog ends only with Finish, and Finish works only once the
 * warning has been confirmed as read.
 */
export function MailboxPasswordDialog({
  title,
  address,
  password,
  notice,
  onFinish,
}: MailboxPasswordDialogProps) {
  const { t } = useTranslation();
  const [understood, setUnderstood] = useState(false);
  return (
    <Modal
      opened
      onClose={() => undefined}
      title={title}
      withCloseButton={false}
      closeOnEscape={false}
      closeOnClickOutside={false}
      size="lg"
      data-testid="mailbox-password-dialog"
    >
      <Stack>
        {notice}
        <Stack gap={4}>
          <Text size="sm" fw={600} id="gateway-address-label">
            {t('gateway.smtpAddress')}
          </Text>
          <Group gap="xs" wrap="nowrap">
            <Code
              block
              flex={1}
              fz="md"
              data-testid="gateway-mailbox-address"
              aria-labelledby="gateway-address-label"
              style={{ wordBreak: 'break-all' }}
            >
              {address}
            </Code>
            <CopyValueButton value={address} label={t('gateway.smtpAddress')} />
          </Group>
          <Text size="xs" c="dimmed">
            {t('gateway.pop3Hint')}
          </Text>
        </Stack>
        <Stack gap={4}>
          <Text size="sm" fw={600} id="gateway-password-label">
            {t('gateway.password')}
          </Text>
          <Group gap="xs" wrap="nowrap">
            <Code
              block
              flex={1}
              fz="lg"
              data-testid="gateway-mailbox-password"
              aria-labelledby="gateway-password-label"
              style={{ userSelect: 'all', wordBreak: 'break-all' }}
            >
              {password}
            </Code>
            <CopyValueButton value={password} label={t('gateway.password')} />
          </Group>
        </Stack>
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertTriangle aria-hidden />}
          title={t('gateway.passwordWarningTitle')}
        >
          {t('gateway.passwordWarning')}
        </Alert>
        <Checkbox
          label={t('gateway.passwordUnderstood')}
          checked={understood}
          onChange={(event) => setUnderstood(event.currentTarget.checked)}
          data-autofocus
        />
        <Group justify="flex-end">
          <Button onClick={onFinish} disabled={!understood}>
            {t('gateway.finish')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
