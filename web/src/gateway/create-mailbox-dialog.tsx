import { Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormModal, ModalFooter } from '../shared/components/form-modal';
import { useCreateGatewayMailbox, type GatewayMailboxWithPassword } from './gateway.api';

interface CreateMailboxDialogProps {
  onClose: () => void;
  /** Create: the new mailbox and its password, which the caller shows once. */
  onCreated: (created: GatewayMailboxWithPassword) => void;
}

/** Create mailbox: a name (e.g. "Office 365 Journal") and, optionally, what it is for. */
export function CreateMailboxDialog({ onClose, onCreated }: CreateMailboxDialogProps) {
  const { t } = useTranslation();
  const create = useCreateGatewayMailbox();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [submitted, setSubmitted] = useState(false);

  const submit = () => {
    setSubmitted(true);
    if (!name.trim() || create.isPending) return;
    create.mutate(
      { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) },
      { onSuccess: onCreated },
    );
  };

  return (
    <FormModal title={t('gateway.createTitle')} onClose={onClose} onSubmit={submit}>
      <MailboxFields
        name={name}
        description={description}
        onName={setName}
        onDescription={setDescription}
        nameError={submitted && !name.trim() ? t('validation.required') : undefined}
      />
      <ModalFooter
        submitLabel={t('gateway.createSubmit')}
        pending={create.isPending}
        error={create.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}

interface MailboxFieldsProps {
  name: string;
  description: string;
  onName: (value: string) => void;
  onDescription: (value: string) => void;
  nameError?: string;
}

/** Name and description, as created and as edited. */
export function MailboxFields({ name, description, onName, onDescription, nameError }: MailboxFieldsProps) {
  const { t } = useTranslation();
  return (
    <>
      <TextInput
        label={t('gateway.name')}
        placeholder={t('gateway.namePlaceholder')}
        value={name}
        onChange={(event) => onName(event.currentTarget.value)}
        maxLength={200}
        required
        error={nameError}
        data-autofocus
      />
      <Textarea
        label={t('gateway.descriptionLabel')}
        description={t('gateway.descriptionHint')}
        placeholder={t('gateway.descriptionPlaceholder')}
        value={description}
        onChange={(event) => onDescription(event.currentTarget.value)}
        maxLength={1000}
        autosize
        minRows={2}
      />
    </>
  );
}
