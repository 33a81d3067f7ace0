import { Group, Progress, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Quotas, Usage } from '../api/types';
import type { Format } from '../format';

interface UsageBarProps {
  label: string;
  used: number;
  max: number | null;
  format: (value: number) => string;
  compact?: boolean;
}

/** "12 of 50" with a bar, or "12 (no limit)" when there is no quota. */
export function UsageBar({ label, used, max, format, compact }: UsageBarProps) {
  const { t } = useTranslation();
  const fraction = max && max > 0 ? Math.min(1, used / max) : null;
  const color = fraction === null ? 'gray' : fraction >= 0.9 ? 'red' : fraction >= 0.75 ? 'yellow' : 'teal';
  const text =
    max === null
      ? t('quota.usedUnlimited', { used: format(used) })
      : t('quota.usedOf', { used: format(used), max: format(max) });
  return (
    <Stack gap={4} miw={compact ? 120 : undefined}>
      {!compact && (
        <Text size="sm" fw={500}>
          {label}
        </Text>
      )}
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size={compact ? 'xs' : 'sm'} c={compact ? undefined : 'dimmed'}>
          {text}
        </Text>
      </Group>
      {fraction !== null && (
        <Progress
          value={fraction * 100}
          color={color}
          size={compact ? 'xs' : 'sm'}
          aria-label={`${label}: ${text}`}
        />
      )}
    </Stack>
  );
}

/** What is used of each quota, as `UsageBar` props: `<UsageBar label={…} {...quota.users} />`. */
export function quotaUsage(quotas: Quotas, usage: Usage, format: Format) {
  return {
    users: { used: usage.users, max: quotas.maxUsers, format: format.number },
    mailboxes: { used: usage.mailboxes, max: quotas.maxMailboxes, format: format.number },
    storage: { used: usage.storageBytes, max: quotas.maxStorageBytes, format: format.bytes },
  };
}
