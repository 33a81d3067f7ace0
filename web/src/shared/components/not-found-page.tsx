import { Button } from '@mantine/core';
import { IconMapOff } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useDocumentTitle } from '../document-title';
import { EmptyState } from './empty-state';

export function NotFoundPage({ home }: { home: string }) {
  const { t } = useTranslation();
  useDocumentTitle(t('notFound.title'));
  return (
    <EmptyState
      icon={<IconMapOff size={28} />}
      title={t('notFound.title')}
      description={t('notFound.description')}
      action={
        <Button component={Link} to={home} variant="light">
          {t('notFound.home')}
        </Button>
      }
    />
  );
}
