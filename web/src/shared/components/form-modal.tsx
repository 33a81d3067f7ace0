import { Button, Group, Modal, Stack, type ModalProps } from '@mantine/core';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from './error-alert';

interface FormModalProps {
  title: string;
  size?: ModalProps['size'];
  onClose: () => void;
  /** On Enter and on the submit button; the browser's own validation is off. */
  onSubmit: () => void;
  autoComplete?: string;
  /** The fields, then a `ModalFooter`. */
  children: ReactNode;
}

/** A dialog with one form; mount it to open it and unmount it to close it, so its state starts fresh. */
export function FormModal({ title, size, onClose, onSubmit, autoComplete, children }: FormModalProps) {
  const { t } = useTranslation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <Modal
      opened
      onClose={onClose}
      title={title}
      size={size}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <form onSubmit={submit} noValidate autoComplete={autoComplete}>
        <Stack>{children}</Stack>
      </form>
    </Modal>
  );
}

interface ModalFooterProps {
  submitLabel: string;
  pending?: boolean;
  /** The server's answer to the last try, shown (and focused) above the buttons. */
  error?: unknown;
  onCancel: () => void;
  danger?: boolean;
  /** Keeps the submit button disabled, e.g. until a name is typed. */
  disabled?: boolean;
  /** Puts the first focus on Cancel, for dialogs without a field. */
  focusCancel?: boolean;
}

/** The end of a dialog's form: the error, if any, then Cancel and the submit button. */
export function ModalFooter(props: ModalFooterProps) {
  const { submitLabel, pending, error, onCancel, danger, disabled, focusCancel } = props;
  const { t } = useTranslation();
  return (
    <>
      {error != null && <ErrorAlert error={error} />}
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel} data-autofocus={focusCancel || undefined}>
          {t('common.cancel')}
        </Button>
        <Button type="submit" color={danger ? 'red' : undefined} disabled={disabled} loading={pending}>
          {submitLabel}
        </Button>
      </Group>
    </>
  );
}
