import { NumberInput, SimpleGrid } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Quotas, Usage } from '../shared/api/types';
import { BYTES_PER_GB, useFormat } from '../shared/format';

/** Quota inputs as typed: '' means no limit. Storage is entered in GB (10^9 bytes). */
export interface QuotaDraft {
  maxUsers: number | '';
  maxMailboxes: number | '';
  maxStorageGb: number | '';
}

export function quotaDraftFrom(quotas: Quotas | null): QuotaDraft {
  return {
    maxUsers: quotas?.maxUsers ?? '',
    maxMailboxes: quotas?.maxMailboxes ?? '',
    maxStorageGb: quotas?.maxStorageBytes == null ? '' : quotas.maxStorageBytes / BYTES_PER_GB,
  };
}

export function quotasFromDraft(draft: QuotaDraft): Quotas {
  return {
    maxUsers: draft.maxUsers === '' ? null : draft.maxUsers,
    maxMailboxes: draft.maxMailboxes === '' ? null : draft.maxMailboxes,
    maxStorageBytes: draft.maxStorageGb === '' ? null : Math.round(draft.maxStorageGb * BYTES_PER_GB),
  };
}

const toDraftNumber = (value: number | string): number | '' =>
  typeof value === 'number' ? value : value.trim() === '' ? '' : Number(value);

interface QuotaFieldsProps {
  value: QuotaDraft;
  onChange: (value: QuotaDraft) => void;
  /** Shown beside each quota on the tenant page. */
  usage?: Usage;
}

export function QuotaFields({ value, onChange, usage }: QuotaFieldsProps) {
  const { t } = useTranslation();
  const format = useFormat();
  const unlimited = t('quota.emptyMeansUnlimited');
  const inUse = (text: string) => `${t('quota.inUse', { value: text })} · ${unlimited}`;
  return (
    <SimpleGrid cols={{ base: 1, sm: 3 }}>
      <NumberInput
        label={t('quota.maxUsers')}
        description={usage ? inUse(format.number(usage.users)) : unlimited}
        value={value.maxUsers}
        onChange={(next) => onChange({ ...value, maxUsers: toDraftNumber(next) })}
        min={0}
        allowDecimal={false}
        allowNegative={false}
      />
      <NumberInput
        label={t('quota.maxMailboxes')}
        description={usage ? inUse(format.number(usage.mailboxes)) : unlimited}
        value={value.maxMailboxes}
        onChange={(next) => onChange({ ...value, maxMailboxes: toDraftNumber(next) })}
        min={0}
        allowDecimal={false}
        allowNegative={false}
      />
      <NumberInput
        label={t('quota.maxStorageGb')}
        description={usage ? inUse(format.bytes(usage.storageBytes)) : unlimited}
        value={value.maxStorageGb}
        onChange={(next) => onChange({ ...value, maxStorageGb: toDraftNumber(next) })}
        min={0}
        decimalScale={3}
        allowNegative={false}
      />
    </SimpleGrid>
  );
}
