import { Anchor, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorAlert } from '../shared/components/error-alert';
import { LoadingState } from '../shared/components/loading-state';
import type { MailPolicy } from '../shared/sending/sending';
import { useSetTenantMailPolicy, useTenantMailPolicy } from './mail-server.api';

/**
 * The tenant page's "Mail sending": whether the tenant may use the system's mail server and whether
 * its administrators may configure their own. Each switch saves at once.
 */
export function TenantMailPolicy({ tenantId, tenantName }: { tenantId: number; tenantName: string }) {
  const { t } = useTranslation();
  const policy = useTenantMailPolicy(tenantId);
  const save = useSetTenantMailPolicy(tenantId);

  const change = (changes: Partial<MailPolicy>) =>
    save.mutate(changes, {
      onSuccess: () =>
        notifications.show({ color: 'teal', message: t('mailServer.policy.saved', { name: tenantName }) }),
    });
  // While a change is on its way, its switch shows where it is going.
  const shown = (key: keyof MailPolicy): boolean => {
    const pending = save.isPending ? save.variables[key] : undefined;
    return pending ?? policy.data?.[key] ?? false;
  };

  return (
    <Paper
      withBorder
      p="md"
      component="section"
      aria-labelledby="tenant-mail-policy-title"
      data-testid="tenant-mail-policy"
    >
      <Stack>
        <Stack gap={4}>
          <Title order={2} size="h4" id="tenant-mail-policy-title">
            {t('mailServer.policy.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('mailServer.policy.description')}{' '}
            <Anchor component={Link} to="/system/mail-server" size="sm">
              {t('mailServer.policy.openMailServer')}
            </Anchor>
          </Text>
        </Stack>
        {policy.isPending ? (
          <LoadingState />
        ) : policy.isError ? (
          <ErrorAlert error={policy.error} onRetry={() => void policy.refetch()} focus={false} />
        ) : (
          <>
            <Switch
              label={t('mailServer.policy.mayUseSystemServer')}
              description={t('mailServer.policy.mayUseSystemServerHint')}
              checked={shown('mayUseSystemServer')}
              onChange={(event) => change({ mayUseSystemServer: event.currentTarget.checked })}
            />
            <Switch
              label={t('mailServer.policy.mayConfigureOwn')}
              description={t('mailServer.policy.mayConfigureOwnHint')}
              checked={shown('mayConfigureOwn')}
              onChange={(event) => change({ mayConfigureOwn: event.currentTarget.checked })}
            />
          </>
        )}
        {save.error && <ErrorAlert error={save.error} />}
      </Stack>
    </Paper>
  );
}
