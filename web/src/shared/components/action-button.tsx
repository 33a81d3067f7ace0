import { Button, Tooltip, type ButtonProps } from '@mantine/core';
import { useId, type ReactNode } from 'react';
import { DisabledReason } from './row-action';

interface ActionButtonProps extends Omit<ButtonProps, 'disabled'> {
  onClick: () => void;
  /**
   * Set when the action is not possible: the button looks disabled, stays focusable but does nothing,
   * and a tooltip (and, for screen readers, the button's description) says why.
   */
  disabledReason?: string;
  children: ReactNode;
}

/** A page's action button (e.g. "Reset password" on a user's page), like RowAction with a text label. */
export function ActionButton({ onClick, disabledReason, children, ...buttonProps }: ActionButtonProps) {
  const reasonId = useId();
  const disabled = disabledReason !== undefined;
  return (
    <>
      <Tooltip label={disabledReason} disabled={!disabled}>
        <Button
          {...buttonProps}
          aria-disabled={disabled || undefined}
          aria-describedby={disabled ? reasonId : undefined}
          data-disabled={disabled || undefined}
          onClick={() => {
            if (!disabled) onClick();
          }}
        >
          {children}
        </Button>
      </Tooltip>
      {disabled && <DisabledReason id={reasonId} reason={disabledReason} />}
    </>
  );
}
