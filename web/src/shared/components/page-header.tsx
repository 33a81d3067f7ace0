import { Group, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useDocumentTitle } from '../document-title';

interface PageHeaderProps {
  title: ReactNode;
  /** The browser tab's title ("<documentTitle> · Postvault"); by default the title when it is text. */
  documentTitle?: string;
  description?: ReactNode;
  actions?: ReactNode;
}

/** The page's one h1 and its main actions; it also names the browser tab after the page. */
export function PageHeader({ title, documentTitle, description, actions }: PageHeaderProps) {
  useDocumentTitle(documentTitle ?? (typeof title === 'string' ? title : undefined));
  return (
    <Group justify="space-between" align="flex-start" mb="lg" wrap="wrap">
      <Stack gap={4}>
        <Title order={1} size="h2">
          {title}
        </Title>
        {description && <Text c="dimmed">{description}</Text>}
      </Stack>
      {actions && <Group gap="sm">{actions}</Group>}
    </Group>
  );
}
