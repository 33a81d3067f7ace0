import { Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** "a@x.com, b@x.com\nc@x.com" → ["a@x.com", "b@x.com", "c@x.com"], repeats dropped. */
export function parseAddressList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

export const formatAddressList = (addresses: readonly string[]): string => addresses.join('\n');

interface AddressListInputProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  readOnly?: boolean;
}

/** A list of email addresses as plain text: one per line, or separated by commas. */
export function AddressListInput({ label, value, onChange, readOnly }: AddressListInputProps) {
  const { t } = useTranslation();
  return (
    <Textarea
      label={label}
      description={t('common.listHint')}
      value={value}
      onChange={(event) => onChange(event.currentTarget.value)}
      readOnly={readOnly}
      autosize
      minRows={2}
      maxRows={8}
      autoCapitalize="none"
      spellCheck={false}
    />
  );
}
