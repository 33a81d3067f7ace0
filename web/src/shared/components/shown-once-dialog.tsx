import { Alert, Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyValueButton } from './copy-value';

export interface ShownOnceValue {
  /** Used for data-testid="shown-once-{id}", e.g. "login", "password". */
  id: string;
  label: string;
  value: string;
}

interface ShownOnceDialogProps {
  title: string;
  description?: ReactNode;
  values: ShownOnceValue[];
  onClose: () => void;
}

/**
 * Shows credentials the server will never show again. It closes only through the explicit
 * "I have saved it" button: no close icon, no Escape, no click outside.
 */
export function ShownOnceDialog({ title, description, values, onClose }: ShownOnceDialogProps) {
  const { t } = useTranslation();
  return (
    <Modal
      opened
      onClose={() => undefined}
      title={title}
      withCloseButton={false}
      closeOnEscape={false}
      closeOnClickOutside={false}
      size="lg"
      data-testid="shown-once-dialog"
    >
      <Stack>
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {t('shownOnce.warning')}
        </Alert>
        {description && <Text size="sm">{description}</Text>}
        {values.map((entry) => (
          <Stack key={entry.id} gap={4}>
            <Text size="sm" fw={600} id={`shown-once-label-${entry.id}`}>
              {entry.label}
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Code
                block
                flex={1}
                fz="md"
                data-testid={`shown-once-${entry.id}`}
                aria-labelledby={`shown-once-label-${entry.id}`}
                style={{ userSelect: 'all', wordBreak: 'break-all' }}
              >
                {entry.value}
              </Code>
              <CopyValueButton value={entry.value} label={entry.label} />
            </Group>
          </Stack>
        ))}
        <Group justify="flex-end" mt="sm">
          <Button onClick={onClose} data-autofocus>
            {t('shownOnce.close')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
