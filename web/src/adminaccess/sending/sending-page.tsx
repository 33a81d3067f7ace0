import { Alert, Badge, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconInfoCircle, IconSend, IconSettings } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../shared/components/page-header';
import { QueryStates } from '../../shared/components/query-states';
import { useFormat } from '../../shared/format';
import { encryptionLabel } from '../../shared/sending/sending';
import { TestMailDialog } from '../../shared/sending/test-mail-dialog';
import { DetailsTable } from '../details-table';
import { SendingFormModal } from './sending-form-modal';
import { ownUnusedText, routeText, sendingTypeLabel } from './sending-labels';
import { useSending, useTenantTestMail, type TenantSending } from './sending.api';

type Dialog = 'configure' | 'test' | null;

/**
 * Admin Access → Sending mails: how mail of this tenant leaves now (or why it cannot), its own
 * configuration, what the system administrator allows; "Configure" and "Send test mail".
 */
export function SendingPage() {
  const { t } = useTranslation();
  const sending = useSending();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  return (
    <>
      <PageHeader
        title={t('sending.title')}
        description={t('sending.description')}
        actions={
          <>
            <Button
              variant="default"
              leftSection={<IconSend size={18} aria-hidden />}
              onClick={() => setDialog('test')}
              disabled={!sending.data}
            >
              {t('sending.sendTestMail')}
            </Button>
            <Button
              leftSection={<IconSettings size={18} aria-hidden />}
              onClick={() => setDialog('configure')}
              disabled={!sending.data}
            >
              {t('sending.configure')}
            </Button>
          </>
        }
      />
      <QueryStates query={sending}>{(data) => <SendingView sending={data} />}</QueryStates>
      {dialog === 'configure' && sending.data && <SendingFormModal sending={sending.data} onClose={close} />}
      {dialog === 'test' && <TenantTestMailDialog onClose={close} />}
    </>
  );
}

function TenantTestMailDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const mutation = useTenantTestMail();
  return (
    <TestMailDialog
      mutation={mutation}
      onClose={onClose}
      notice={<Text size="sm">{t('sending.testMailNotice')}</Text>}
    />
  );
}

function SendingView({ sending }: { sending: TenantSending }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { route, policy } = sending;
  const unused = ownUnusedText(t, sending);
  const none = t('sending.notSet');
  const yesNo = (value: boolean) => (value ? t('common.yes') : t('common.no'));

  const rows: Array<[string, ReactNode]> = [[t('sending.typeLabel'), sendingTypeLabel(t, sending.type)]];
  if (sending.type === 'smtp') {
    rows.push(
      [
        t('sending.host'),
        sending.smtp.host
          ? t('sending.serverValue', {
              host: sending.smtp.host,
              port: sending.smtp.port,
              encryption: encryptionLabel(t, sending.smtp.encryption),
            })
          : none,
      ],
      [t('sending.username'), sending.smtp.username || none],
      [
        t('sending.password'),
        sending.smtp.passwordSet ? t('sending.secret.set') : t('sending.secret.notSet'),
      ],
      [t('sending.senderAddress'), sending.senderAddress || none],
      [t('sending.senderName'), sending.senderName || none],
      [t('sending.smtputf8Short'), yesNo(sending.smtputf8)],
    );
  } else if (sending.type === 'microsoft365') {
    rows.push(
      [t('sending.tenantId'), sending.microsoft365.tenantId || t('sending.notConnected')],
      [t('sending.connectedBy'), sending.microsoft365.connectedBy || none],
      [t('sending.microsoft365Sender'), sending.microsoft365.senderAddress || none],
      [t('sending.senderName'), sending.senderName || none],
    );
  }
  if (sending.support.tenantAddressAllowed)
    rows.push([t('sending.supportAddress'), sending.support.address || t('sending.supportAddressSystem')]);
  rows.push([
    t('sending.updated'),
    sending.updatedAt ? format.dateTime(sending.updatedAt) : t('sending.neverChanged'),
  ]);

  return (
    <Stack gap="lg">
      <Card
        withBorder
        component="section"
        aria-labelledby="sending-status-title"
        data-testid="sending-status"
        data-available={route.available}
        data-via={route.available ? route.via : undefined}
        data-kind={route.available ? route.kind : undefined}
        data-reason={route.available ? undefined : route.reason}
      >
        <Group justify="space-between" mb="xs">
          <Title order={2} size="h4" id="sending-status-title">
            {t('sending.status')}
          </Title>
          <Badge color={route.available ? 'teal' : 'red'} variant="light" style={{ minWidth: 'max-content' }}>
            {route.available ? t('sending.available') : t('sending.unavailable')}
          </Badge>
        </Group>
        <Text data-testid="sending-route">{routeText(t, sending)}</Text>
        {unused && (
          <Alert
            mt="sm"
            color="yellow"
            variant="light"
            icon={<IconAlertTriangle aria-hidden />}
            data-testid="sending-own-unused"
          >
            {unused}
          </Alert>
        )}
      </Card>

      <Card withBorder component="section" aria-labelledby="sending-configuration-title">
        <Title order={2} size="h4" mb="sm" id="sending-configuration-title">
          {t('sending.configuration')}
        </Title>
        <DetailsTable rows={rows} />
      </Card>

      <Card
        withBorder
        component="section"
        aria-labelledby="sending-policy-title"
        data-testid="sending-policy"
      >
        <Title order={2} size="h4" mb="sm" id="sending-policy-title">
          {t('sending.policyTitle')}
        </Title>
        <DetailsTable
          rows={[
            [t('sending.policyUseSystem'), yesNo(policy.mayUseSystemServer)],
            [t('sending.policyConfigureOwn'), yesNo(policy.mayConfigureOwn)],
          ]}
        />
      </Card>

      <Alert color="blue" variant="light" icon={<IconInfoCircle aria-hidden />}>
        <Stack gap={4}>
          <Text size="sm">{t('sending.noneExplained')}</Text>
          <Text size="sm">{t('sending.delayNotice')}</Text>
        </Stack>
      </Alert>
    </Stack>
  );
}
