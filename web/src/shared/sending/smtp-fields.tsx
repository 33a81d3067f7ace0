import { Checkbox, Grid, Group, NumberInput, Radio, SimpleGrid, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { ReactNode } from 'react';
import { ENCRYPTIONS, encryptionLabel, type Encryption } from './sending';

/** A field's words: its label and the hint below it (the two consoles word them differently). */
export interface FieldText {
  label: string;
  hint?: ReactNode;
}

/** Mail server and port, as both the System console's Email server and a tenant's SMTP use them. */
export function HostPortFields(props: {
  host: FieldText;
  port: FieldText;
  value: { host: string; port: number | '' };
  onHost: (host: string) => void;
  onPort: (port: number | '') => void;
  errors?: { host?: string; port?: string };
  required?: boolean;
  autoFocus?: boolean;
}) {
  return (
    <Grid>
      <Grid.Col span={{ base: 12, sm: 8 }}>
        <TextInput
          label={props.host.label}
          description={props.host.hint}
          value={props.value.host}
          onChange={(event) => props.onHost(event.currentTarget.value)}
          required={props.required}
          error={props.errors?.host}
          autoCapitalize="none"
          spellCheck={false}
          data-autofocus={props.autoFocus || undefined}
        />
      </Grid.Col>
      <Grid.Col span={{ base: 12, sm: 4 }}>
        <NumberInput
          label={props.port.label}
          description={props.port.hint}
          value={props.value.port}
          onChange={(value) => props.onPort(typeof value === 'number' ? value : '')}
          min={1}
          max={65535}
          allowDecimal={false}
          allowNegative={false}
          required={props.required}
          error={props.errors?.port}
        />
      </Grid.Col>
    </Grid>
  );
}

/** Sender address and name, and whether the server takes UTF-8 headers (RFC 6532). */
export function SenderFields(props: {
  address: FieldText;
  name: FieldText;
  smtputf8: FieldText;
  value: { senderAddress: string; senderName: string; smtputf8: boolean };
  onText: (key: 'senderAddress' | 'senderName', value: string) => void;
  onSmtputf8: (value: boolean) => void;
  addressError?: string;
  required?: boolean;
}) {
  return (
    <>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={props.address.label}
          description={props.address.hint}
          value={props.value.senderAddress}
          onChange={(event) => props.onText('senderAddress', event.currentTarget.value)}
          required={props.required}
          error={props.addressError}
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
        />
        <TextInput
          label={props.name.label}
          description={props.name.hint}
          value={props.value.senderName}
          onChange={(event) => props.onText('senderName', event.currentTarget.value)}
        />
      </SimpleGrid>
      <Checkbox
        label={props.smtputf8.label}
        description={props.smtputf8.hint}
        checked={props.value.smtputf8}
        onChange={(event) => props.onSmtputf8(event.currentTarget.checked)}
      />
    </>
  );
}

/** None / STARTTLS / SSL/TLS. */
export function EncryptionField(props: {
  text: FieldText;
  value: Encryption;
  onChange: (value: Encryption) => void;
}) {
  const { t } = useTranslation();
  return (
    <Radio.Group
      label={props.text.label}
      description={props.text.hint}
      value={props.value}
      onChange={(value) => props.onChange(value as Encryption)}
    >
      <Group mt="xs">
        {ENCRYPTIONS.map((value) => (
          <Radio key={value} value={value} label={encryptionLabel(t, value)} />
        ))}
      </Group>
    </Radio.Group>
  );
}
