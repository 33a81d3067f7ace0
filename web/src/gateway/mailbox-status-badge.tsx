import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { GatewayMailboxStatus } from './gateway.api';

export function MailboxStatusBadge({ status }: { status: GatewayMailboxStatus }) {
  const { t } = useTranslation();
  return status === 'active' ? (
    <Badge color="teal" variant="light" style={{ minWidth: 'max-content' }}>
      {t('gateway.statusActive')}
    </Badge>
  ) : (
    <Badge color="orange" variant="light" style={{ minWidth: 'max-content' }}>
      {t('gateway.statusSuspended')}
    </Badge>
  );
}
