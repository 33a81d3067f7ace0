import { TextInput, type TextInputProps } from '@mantine/core';

interface TotpCodeInputProps extends Omit<TextInputProps, 'onChange'> {
  onChange: (value: string) => void;
}

/** The six digits of an authenticator app; takes digits and a space ("123 456") and nothing else. */
export function TotpCodeInput({ onChange, ...props }: TotpCodeInputProps) {
  return (
    <TextInput
      {...props}
      onChange={(event) => onChange(event.currentTarget.value.replace(/[^0-9 ]/g, ''))}
      inputMode="numeric"
      autoComplete="one-time-code"
      maxLength={7}
      required
    />
  );
}
