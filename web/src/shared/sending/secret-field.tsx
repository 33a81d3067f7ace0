import { Checkbox, PasswordInput, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** A write-only secret as typed: a new value, or the wish to remove the stored one. */
export interface SecretDraft {
  value: string;
  remove: boolean;
}

export const emptySecret: SecretDraft = { value: '', remove: false };

/** What the API takes: a new value, null to remove it, or undefined to keep it. */
export const secretChange = (draft: SecretDraft): string | null | undefined =>
  draft.remove ? null : draft.value ? draft.value : undefined;

interface SecretFieldProps {
  label: string;
  /** A value is stored (the API says only that, never the value). */
  isSet: boolean;
  value: SecretDraft;
  onChange: (value: SecretDraft) => void;
  /** The label of "remove the stored value", shown when one is stored. */
  removeLabel: string;
  /** data-testid of the "set"/"not set" line, e.g. "mail-server-password-status". */
  statusTestId?: string;
  error?: string;
}

/**
 * A password or client secret the server never shows: whether one is set, a field to replace it
 * (empty keeps it) and, when one is set, a checkbox to remove it.
 */
export function SecretField(props: SecretFieldProps) {
  const { label, isSet, value, onChange, removeLabel, statusTestId, error } = props;
  const { t } = useTranslation();
  return (
    <Stack gap={6}>
      <PasswordInput
        label={label}
        description={isSet ? t('sending.secret.setHint') : t('sending.secret.notSetHint')}
        descriptionProps={{ 'data-testid': statusTestId, 'data-set': isSet }}
        value={value.value}
        onChange={(event) => onChange({ ...value, value: event.currentTarget.value })}
        disabled={value.remove}
        error={error}
        autoComplete="new-password"
        visibilityToggleButtonProps={{ 'aria-label': t('common.showCharacters') }}
      />
      {isSet && (
        <Checkbox
          label={removeLabel}
          checked={value.remove}
          onChange={(event) => onChange({ value: '', remove: event.currentTarget.checked })}
        />
      )}
    </Stack>
  );
}
