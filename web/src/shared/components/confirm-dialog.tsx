import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from './error-alert';

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
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (confirmed && !pending) onConfirm();
  };
  return (
    <Modal opened onClose={onClose} title={title} closeButtonProps={{ 'aria-label': t('common.close') }}>
      <form onSubmit={submit} noValidate>
        <Stack>
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
          {error != null && <ErrorAlert error={error} />}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={onClose}
              data-autofocus={typeToConfirm === undefined || undefined}
            >
              {t('common.cancel')}
            </Button>
            <Button type="submit" color={danger ? 'red' : undefined} disabled={!confirmed} loading={pending}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
