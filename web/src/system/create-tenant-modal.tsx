import { TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Credentials, TenantSummary } from '../shared/api/types';
import { FormModal, ModalFooter } from '../shared/components/form-modal';
import { QuotaFields, quotaDraftFrom, quotasFromDraft, type QuotaDraft } from './quota-fields';
import { MAX_SLUG_LENGTH, suggestSlug } from './slug';
import { useCreateTenant, type CredentialsMail } from './system.api';

const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

interface CreateTenantModalProps {
  onClose: () => void;
  onCreated: (tenant: TenantSummary, admin: Credentials, credentialsMail?: CredentialsMail) => void;
}

export function CreateTenantModal({ onClose, onCreated }: CreateTenantModalProps) {
  const { t } = useTranslation();
  const create = useCreateTenant();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  // The slug follows the name until the user edits it.
  const [slugEdited, setSlugEdited] = useState(false);
  const [quotas, setQuotas] = useState<QuotaDraft>(quotaDraftFrom(null));
  const [adminEmail, setAdminEmail] = useState('');
  const [submitted, setSubmitted] = useState(false);

  const nameError = submitted && !name.trim() ? t('validation.required') : undefined;
  const slugError = !slug
    ? submitted
      ? t('validation.required')
      : undefined
    : SLUG_PATTERN.test(slug)
      ? undefined
      : t('tenants.slugInvalid');

  const changeName = (value: string) => {
    setName(value);
    if (!slugEdited) setSlug(suggestSlug(value));
  };

  const submit = () => {
    setSubmitted(true);
    if (!name.trim() || !slug || !SLUG_PATTERN.test(slug)) return;
    create.mutate(
      {
        name: name.trim(),
        slug,
        quotas: quotasFromDraft(quotas),
        ...(adminEmail.trim() ? { adminEmail: adminEmail.trim() } : {}),
      },
      { onSuccess: (answer) => onCreated(answer.tenant, answer.admin, answer.credentialsMail) },
    );
  };

  return (
    <FormModal title={t('tenants.createTitle')} size="lg" onClose={onClose} onSubmit={submit}>
      <TextInput
        label={t('tenants.name')}
        value={name}
        onChange={(event) => changeName(event.currentTarget.value)}
        required
        error={nameError}
        data-autofocus
      />
      <TextInput
        label={t('tenants.slug')}
        description={t('tenants.slugHint', { slug: slug || t('tenants.slugExample') })}
        value={slug}
        onChange={(event) => {
          setSlugEdited(true);
          setSlug(event.currentTarget.value.toLowerCase().trim());
        }}
        maxLength={MAX_SLUG_LENGTH}
        autoCapitalize="none"
        spellCheck={false}
        required
        error={slugError}
      />
      <TextInput
        type="email"
        label={t('tenants.adminEmail')}
        description={t('tenants.adminEmailHint')}
        value={adminEmail}
        onChange={(event) => setAdminEmail(event.currentTarget.value)}
        autoComplete="off"
      />
      <QuotaFields value={quotas} onChange={setQuotas} />
      <ModalFooter
        submitLabel={t('tenants.create')}
        pending={create.isPending}
        error={create.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
