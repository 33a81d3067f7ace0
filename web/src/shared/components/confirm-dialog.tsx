import { Text, TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { FormModal, ModalFooter } from './form-modal';

interface ConfirmDialogProps {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** For destructive actions: the name the user must type before the button works. */
  typeToConfirm?: string;
  danger?: boolean;
  pending?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}

/** Asks before an action; mount it when needed and unmount it to close. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { title, message, confirmLabel, typeToConfirm, danger, pending, error, onConfirm, onClose } = props;
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const confirmed = typeToConfirm === undefined || typed.trim() === typeToConfirm;
  const submit = () => {
    if (confirmed && !pending) onConfirm();
  };
  return (
    <FormModal title={title} onClose={onClose} onSubmit={submit}>
      {typeof message === 'string' ? <Text>{message}</Text> : message}
      {typeToConfirm !== undefined && (
        <TextInput
          label={t('confirm.typeToConfirm', { value: typeToConfirm })}
          value={typed}
          onChange={(event) => setTyped(event.currentTarget.value)}
          autoComplete="off"
          spellCheck={false}
          data-autofocus
        />
      )}
      <ModalFooter
        submitLabel={confirmLabel}
        pending={pending}
        error={error}
        onCancel={onClose}
        danger={danger}
        disabled={!confirmed}
        focusCancel={typeToConfirm === undefined}
      />
    </FormModal>
  );
}
