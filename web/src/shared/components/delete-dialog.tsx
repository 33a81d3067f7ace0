import { notifications } from '@mantine/notifications';
import type { UseMutationResult } from '@tanstack/react-query';
import { ConfirmDialog } from './confirm-dialog';

interface DeleteDialogProps<TVariables> {
  title: string;
  message: string;
  confirmLabel: string;
  /** What the user must type before the button works, usually the name. */
  typeToConfirm: string;
  /** The delete mutation, and what to call it with. */
  mutation: UseMutationResult<unknown, Error, TVariables>;
  variables: TVariables;
  /** The notification once it is deleted. */
  deletedMessage: string;
  onClose: () => void;
  /** After the deletion, once the dialog is closed (e.g. to leave the page of what is gone). */
  onDeleted?: () => void;
}

/** Type-to-confirm deletion: runs the mutation, says it is done and closes; closing forgets its error. */
export function DeleteDialog<TVariables>(props: DeleteDialogProps<TVariables>) {
  const { mutation, variables, deletedMessage, onClose, onDeleted } = props;
  const close = () => {
    mutation.reset();
    onClose();
  };
  const confirm = () =>
    mutation.mutate(variables, {
      onSuccess: () => {
        notifications.show({ color: 'teal', message: deletedMessage });
        close();
        onDeleted?.();
      },
    });
  return (
    <ConfirmDialog
      title={props.title}
      message={props.message}
      confirmLabel={props.confirmLabel}
      typeToConfirm={props.typeToConfirm}
      danger
      pending={mutation.isPending}
      error={mutation.error}
      onConfirm={confirm}
      onClose={close}
    />
  );
}
