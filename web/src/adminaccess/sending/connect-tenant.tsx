import { Alert, Anchor, Button, Group, Loader, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconCircleX, IconPlugConnected } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../shared/components/error-alert';
import { sendingKeys, useConnectStatus, useStartConnect, type TenantSending } from './sending.api';

/** Opens a tab now, while the click still counts as the user's, so pop-up blockers let it through. */
function openBlankTab(): Window | null {
  try {
    return window.open('', '_blank');
  } catch {
    return null;
  }
}

/**
 * "Connect Tenant": Microsoft's admin consent in a new tab, then an interactive sign-in that proves an
 * administrator of that Microsoft 365 tenant gave it. Meanwhile this part of the dialog asks every
 * 2 seconds where it stands and finally shows the Directory (tenant) ID and who confirmed it.
 */
export function ConnectTenant({ sending }: { sending: TenantSending }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const start = useStartConnect();
  const [flow, setFlow] = useState<{ state: string; url: string } | null>(null);
  const status = useConnectStatus(flow?.state ?? null);
  const stage = flow ? (status.data?.stage ?? 'consent') : null;
  const finished = stage === 'done' || stage === 'failed';

  // Connected: the tenant's settings (its Directory (tenant) ID) and the mailboxes to pick from are new.
  useEffect(() => {
    if (stage !== 'done') return;
    void queryClient.invalidateQueries({ queryKey: sendingKeys.all, exact: true });
    void queryClient.invalidateQueries({ queryKey: sendingKeys.microsoftUsers });
  }, [stage, queryClient]);

  const connect = () => {
    const tab = openBlankTab();
    start.mutate(undefined, {
      onSuccess: (answer) => {
        setFlow(answer);
        if (tab && !tab.closed) {
          tab.opener = null;
          tab.location.href = answer.url;
        } else {
          window.open(answer.url, '_blank', 'noopener');
        }
      },
      onError: () => tab?.close(),
    });
  };

  const connected = sending.microsoft365.tenantId;
  return (
    <Stack gap="sm" data-testid="connect-tenant">
      <Text size="sm">{t('sending.connect.hint')}</Text>
      <Group align="flex-end" wrap="wrap">
        <TextInput
          flex={1}
          miw={240}
          label={t('sending.tenantId')}
          description={
            connected && sending.microsoft365.connectedBy
              ? t('sending.connect.confirmedBy', { name: sending.microsoft365.connectedBy })
              : undefined
          }
          value={connected}
          placeholder={t('sending.notConnected')}
          readOnly
          data-testid="connected-tenant-id"
        />
        <Button
          variant={connected ? 'default' : 'filled'}
          leftSection={<IconPlugConnected size={18} aria-hidden />}
          onClick={connect}
          loading={start.isPending || (flow !== null && !finished && !status.isError)}
        >
          {t('sending.connect.button')}
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        {t('sending.connect.consentStays')}
      </Text>
      {start.error && <ErrorAlert error={start.error} />}
      {flow && !finished && !status.isError && (
        <Alert
          color="blue"
          variant="light"
          role="status"
          icon={<Loader size="sm" aria-hidden />}
          title={
            stage === 'sign-in'
              ? t('sending.connect.waitingSignInTitle')
              : t('sending.connect.waitingConsentTitle')
          }
          data-testid="connect-status"
          data-stage={stage}
        >
          <Stack gap="xs">
            <Text size="sm">
              {stage === 'sign-in'
                ? t('sending.connect.waitingSignIn', { tenantId: status.data?.microsoftTenantId ?? '' })
                : t('sending.connect.waitingConsent')}
            </Text>
            <Group gap="md">
              <Anchor href={flow.url} target="_blank" rel="noopener noreferrer" size="sm">
                {t('sending.connect.openAgain')}
              </Anchor>
              <Button size="xs" variant="subtle" onClick={() => setFlow(null)}>
                {t('sending.connect.stopWaiting')}
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      {stage === 'done' && status.data && (
        <Alert
          color="teal"
          variant="light"
          role="status"
          icon={<IconCircleCheck aria-hidden />}
          title={t('sending.connect.doneTitle')}
          data-testid="connect-status"
          data-stage="done"
        >
          {t('sending.connect.done', {
            tenantId: status.data.microsoftTenantId ?? '',
            name: status.data.confirmedBy ?? '',
          })}
        </Alert>
      )}
      {stage === 'failed' && status.data && (
        <Alert
          color="red"
          variant="light"
          role="alert"
          icon={<IconCircleX aria-hidden />}
          title={t('sending.connect.failedTitle')}
          data-testid="connect-status"
          data-stage="failed"
        >
          {status.data.error ?? t('sending.connect.failedUnknown')}
        </Alert>
      )}
      {flow && status.isError && (
        <ErrorAlert error={status.error} title={t('sending.connect.statusError')} focus={false} />
      )}
      {!flow && connected === '' && !start.error && (
        <Group gap="xs" wrap="nowrap">
          <IconAlertTriangle size={16} color="var(--mantine-color-yellow-7)" aria-hidden />
          <Text size="xs" c="dimmed">
            {t('sending.connect.notYet')}
          </Text>
        </Group>
      )}
    </Stack>
  );
}
