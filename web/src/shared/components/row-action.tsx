import { ActionIcon, Group, Tooltip } from '@mantine/core';
import type { Icon as TablerIcon } from '@tabler/icons-react';
import type { ReactNode } from 'react';

interface RowActionProps {
  /** The button's accessible name and its tooltip. */
  label: string;
  icon: TablerIcon;
  color?: string;
  onClick: () => void;
  /**
   * Set when the action is not possible now: the button stays focusable but does nothing, and its
   * tooltip says why instead.
   */
  disabledReason?: string;
  'data-testid'?: string;
}

/** An icon-only button in a table row, named by its label and explained by a tooltip. */
export function RowAction(props: RowActionProps) {
  const { label, icon: Icon, color, onClick, disabledReason, 'data-testid': testId } = props;
  const disabled = disabledReason !== undefined;
  return (
    <Tooltip label={disabledReason ?? label}>
      <ActionIcon
        variant="subtle"
        color={color}
        aria-label={label}
        aria-disabled={disabled || undefined}
        data-disabled={disabled || undefined}
        onClick={() => {
          if (!disabled) onClick();
        }}
        data-testid={testId}
      >
        <Icon size={18} aria-hidden />
      </ActionIcon>
    </Tooltip>
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
