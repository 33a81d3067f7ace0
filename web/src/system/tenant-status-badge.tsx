import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { TenantStatus } from '../shared/api/types';

export function TenantStatusBadge({ status }: { status: TenantStatus }) {
  const { t } = useTranslation();
  return status === 'active' ? (
    <Badge color="teal" variant="light">
      {t('tenants.statusActive')}
    </Badge>
  ) : (
    <Badge color="orange" variant="light">
      {t('tenants.statusSuspended')}
    </Badge>
  );
}
