import { Button, Code, Group, Stack, Text } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyValueButton } from '../../shared/components/copy-value';
import { FormModal } from '../../shared/components/form-modal';

/** An endpoint's SMTP address with its copy button; the label names both for screen readers. */
export function JournalAddressValue({ address, testId }: { address: string; testId?: string }) {
  const { t } = useTranslation();
  const labelId = useId();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600} id={labelId}>
        {t('journalEndpoints.address')}
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code
          block
          flex={1}
          fz="md"
          aria-labelledby={labelId}
          data-testid={testId}
          style={{ userSelect: 'all', wordBreak: 'break-all' }}
        >
          {address}
        </Code>
        <CopyValueButton value={address} label={t('journalEndpoints.address')} />
      </Group>
    </Stack>
  );
}

/** After a save or a new address: what to enter in the mail system's journal rule. */
export function JournalAddressDialog(props: { title: string; address: string; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal title={props.title} size="lg" onClose={props.onClose} onSubmit={props.onClose}>
      <Text size="sm">{t('journalEndpoints.savedDescription')}</Text>
      <JournalAddressValue address={props.address} testId="journal-endpoint-address" />
      <Group justify="flex-end">
        <Button type="submit" data-autofocus>
          {t('journalEndpoints.done')}
        </Button>
      </Group>
    </FormModal>
  );
}
