import { Group, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** The h2 of a tab or part of a page, with its actions on the right. */
export function SectionTitle({ title, actions }: { title: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="wrap">
      <Title order={2} size="h3">
        {title}
      </Title>
      {actions && <Group gap="sm">{actions}</Group>}
    </Group>
  );
}
