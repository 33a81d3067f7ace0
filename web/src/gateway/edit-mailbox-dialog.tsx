import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormModal, ModalFooter } from '../shared/components/form-modal';
import { MailboxFields } from './create-mailbox-dialog';
import { useUpdateGatewayMailbox, type GatewayMailbox } from './gateway.api';

/** Rename a mailbox or change its description; its address and password stay. */
export function EditMailboxDialog({ mailbox, onClose }: { mailbox: GatewayMailbox; onClose: () => void }) {
  const { t } = useTranslation();
  const update = useUpdateGatewayMailbox();
  const [name, setName] = useState(mailbox.name);
  const [description, setDescription] = useState(mailbox.description);

  const submit = () => {
    if (!name.trim() || update.isPending) return;
    update.mutate(
      { id: mailbox.id, name: name.trim(), description: description.trim() },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: t('common.saved') });
          onClose();
        },
      },
    );
  };

  return (
    <FormModal title={t('gateway.editTitle', { name: mailbox.name })} onClose={onClose} onSubmit={submit}>
      <MailboxFields
        name={name}
        description={description}
        onName={setName}
        onDescription={setDescription}
        nameError={!name.trim() ? t('validation.required') : undefined}
      />
      <ModalFooter
        submitLabel={t('common.saveChanges')}
        pending={update.isPending}
        error={update.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
