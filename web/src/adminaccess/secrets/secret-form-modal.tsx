import { Group, PasswordInput, Radio, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Secret, SecretKind } from '../../shared/api/types';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useSaveSecret, type SecretFields } from '../admin.api';

/**
 * Secrets are write-only: the form never shows a stored value. Editing, an empty password or
 * certificate field keeps what is stored.
 */
export function SecretFormModal({ secret, onClose }: { secret?: Secret; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveSecret();
  const [name, setName] = useState(secret?.name ?? '');
  const [kind, setKind] = useState<SecretKind>(secret?.kind ?? 'password');
  const [username, setUsername] = useState(secret?.username ?? '');
  const [password, setPassword] = useState('');
  const [certificate, setCertificate] = useState('');
  const [certificatePassword, setCertificatePassword] = useState('');
  const [submitted, setSubmitted] = useState(false);

  const valueMissing = !secret && (kind === 'password' ? !password : !certificate.trim());
  const keepHint = secret ? t('secrets.keepHint') : undefined;
  const toggle = { 'aria-label': t('common.showCharacters') };

  const submit = () => {
    setSubmitted(true);
    if (!name.trim() || valueMissing) return;
    const body: SecretFields & { id?: number } = { id: secret?.id, name: name.trim() };
    if (!secret) body.kind = kind;
    if (kind === 'password') {
      const user = username.trim();
      // Editing, an emptied username is sent as '' (the API takes no null here).
      if (secret ? user !== (secret.username ?? '') : user) body.username = user;
      if (password) body.password = password;
    } else {
      if (certificate.trim()) body.certificate = certificate.trim();
      if (certificatePassword) body.certificatePassword = certificatePassword;
    }
    save.mutate(body, { onSuccess: onClose });
  };

  return (
    <FormModal
      title={secret ? t('secrets.editTitle', { name: secret.name }) : t('secrets.createTitle')}
      size="lg"
      onClose={onClose}
      onSubmit={submit}
      autoComplete="off"
    >
      <TextInput
        label={t('secrets.name')}
        value={name}
        onChange={(event) => setName(event.currentTarget.value)}
        required
        error={submitted && !name.trim() ? t('validation.required') : undefined}
        data-autofocus
      />
      <Radio.Group
        label={t('secrets.kind')}
        value={kind}
        onChange={(value) => setKind(value as SecretKind)}
        description={secret ? t('secrets.kindFixed') : undefined}
      >
        <Group mt="xs">
          <Radio value="password" label={t('secrets.kindPasswordOption')} disabled={!!secret} />
          <Radio value="certificate" label={t('secrets.kindCertificateOption')} disabled={!!secret} />
        </Group>
      </Radio.Group>
      {kind === 'password' ? (
        <>
          <TextInput
            label={t('secrets.username')}
            value={username}
            onChange={(event) => setUsername(event.currentTarget.value)}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
          />
          <PasswordInput
            label={t('secrets.password')}
            description={keepHint}
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            autoComplete="new-password"
            required={!secret}
            error={submitted && valueMissing ? t('validation.required') : undefined}
            visibilityToggleButtonProps={toggle}
          />
        </>
      ) : (
        <>
          <Textarea
            label={t('secrets.certificate')}
            description={
              secret ? `${t('secrets.certificateHint')} ${keepHint}` : t('secrets.certificateHint')
            }
            value={certificate}
            onChange={(event) => setCertificate(event.currentTarget.value)}
            autosize
            minRows={4}
            maxRows={10}
            spellCheck={false}
            required={!secret}
            error={submitted && valueMissing ? t('validation.required') : undefined}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <PasswordInput
            label={t('secrets.certificatePassword')}
            description={keepHint}
            value={certificatePassword}
            onChange={(event) => setCertificatePassword(event.currentTarget.value)}
            autoComplete="new-password"
            visibilityToggleButtonProps={toggle}
          />
        </>
      )}
      <ModalFooter
        submitLabel={secret ? t('common.saveChanges') : t('secrets.create')}
        pending={save.isPending}
        error={save.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
