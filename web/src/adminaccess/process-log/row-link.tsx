import { ActionIcon, Tooltip } from '@mantine/core';
import type { Icon as TablerIcon } from '@tabler/icons-react';
import { Link } from 'react-router';

/** Like RowAction, but a link to another page: an icon named by its label and explained by a tooltip. */
export function RowLink({ label, icon: Icon, to }: { label: string; icon: TablerIcon; to: string }) {
  return (
    <Tooltip label={label}>
      <ActionIcon component={Link} to={to} variant="subtle" aria-label={label}>
        <Icon size={18} aria-hidden />
      </ActionIcon>
    </Tooltip>
  );
}
