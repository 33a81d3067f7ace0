import { ActionIcon, Group, Tooltip } from '@mantine/core';
import type { Icon as TablerIcon } from '@tabler/icons-react';
import { useId, type ReactNode } from 'react';

interface RowActionProps {
  /** The button's accessible name and its tooltip. */
  label: string;
  icon: TablerIcon;
  color?: string;
  onClick: () => void;
  /**
   * Set when the action is not possible now: the button stays focusable but does nothing, and its
   * tooltip says why instead; screen readers hear the reason as the button's description.
   */
  disabledReason?: string;
  'data-testid'?: string;
}

/** An icon-only button in a table row, named by its label and explained by a tooltip. */
export function RowAction(props: RowActionProps) {
  const { label, icon: Icon, color, onClick, disabledReason, 'data-testid': testId } = props;
  const reasonId = useId();
  const disabled = disabledReason !== undefined;
  return (
    <>
      <Tooltip label={disabledReason ?? label}>
        <ActionIcon
          variant="subtle"
          color={color}
          aria-label={label}
          aria-disabled={disabled || undefined}
          aria-describedby={disabled ? reasonId : undefined}
          data-disabled={disabled || undefined}
          onClick={() => {
            if (!disabled) onClick();
          }}
          data-testid={testId}
        >
          <Icon size={18} aria-hidden />
        </ActionIcon>
      </Tooltip>
      {disabled && <DisabledReason id={reasonId} reason={disabledReason} />}
    </>
  );
}

/** The reason an action is disabled, for screen readers only (the tooltip shows it on screen). */
export function DisabledReason({ id, reason }: { id: string; reason: string }) {
  return (
    <span id={id} className="pv-visually-hidden">
      {reason}
    </span>
  );
}

/** A row's action buttons, side by side at the right end of its last cell. */
export function RowActions({ children }: { children: ReactNode }) {
  return (
    <Group gap={4} wrap="nowrap" justify="flex-end">
      {children}
    </Group>
  );
}
