import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Fieldset,
  Group,
  Paper,
  Radio,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconSend } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shared/components/error-alert';
import { PageHeader } from '../shared/components/page-header';
import { QueryStates } from '../shared/components/query-states';
import { useFormat } from '../shared/format';
import { emptySecret, SecretField, secretChange, type SecretDraft } from '../shared/sending/secret-field';
import { EncryptionField, HostPortFields, SenderFields } from '../shared/sending/smtp-fields';
import {
  encryptionLabel,
  looksLikeAddress,
  unavailableReasonText,
  type Encryption,
} from '../shared/sending/sending';
import { TestMailDialog } from '../shared/sending/test-mail-dialog';
import {
  SYSTEM_AUTHENTICATIONS,
  useMailServer,
  useSystemTestMail,
  useUpdateMailServer,
  type SystemAuthentication,
  type SystemMailSettings,
  type SystemMailSettingsUpdate,
} from './mail-server.api';

export function authenticationLabel(t: TFunction, authentication: SystemAuthentication): string {
  switch (authentication) {
    case 'none':
      return t('mailServer.authentication.none');
    case 'password':
      return t('mailServer.authentication.password');
    case 'microsoft365':
      return t('mailServer.authentication.microsoft365');
  }
}

type Status = 'active' | 'incomplete' | 'off';
const statusOf = (settings: SystemMailSettings): Status =>
  !settings.enabled ? 'off' : settings.complete ? 'active' : 'incomplete';
const STATUS_COLORS: Record<Status, string> = { active: 'teal', incomplete: 'yellow', off: 'gray' };

/** What the server still needs to send, as the labels of the fields (the server's `complete` rule). */
function missingFields(t: TFunction, settings: SystemMailSettings): string[] {
  const missing: string[] = [];
  if (settings.authentication === 'microsoft365') {
    if (!settings.graph.tenantId) missing.push(t('mailServer.graphTenantId'));
    if (!settings.graph.clientId) missing.push(t('mailServer.graphClientId'));
    if (!settings.graph.clientSecretSet) missing.push(t('mailServer.graphClientSecret'));
  } else {
    if (!settings.host) missing.push(t('mailServer.host'));
    if (settings.authentication === 'password') {
      if (!settings.username) missing.push(t('mailServer.username'));
      if (!settings.passwordSet) missing.push(t('mailServer.password'));
    }
  }
  if (!settings.senderAddress) missing.push(t('mailServer.senderAddress'));
  return missing;
}

/** A failed test mail's reason code, worded for the system administrator. */
function systemReasonText(t: TFunction, reason: string): string {
  switch (reason) {
    case 'SYSTEM_SENDING_OFF':
      return t('mailServer.reason.SYSTEM_SENDING_OFF');
    case 'NOT_CONFIGURED':
      return t('mailServer.reason.NOT_CONFIGURED');
    default:
      return unavailableReasonText(t, reason);
  }
}

/**
 * System console → Email server: whether the system sends mail and how, the settings in three parts
 * (base settings, security, support) and "Send test mail".
 */
export function MailServerPage() {
  const { t } = useTranslation();
  const settings = useMailServer();
  const [testing, setTesting] = useState(false);
  return (
    <>
      <PageHeader
        title={t('mailServer.title')}
        description={t('mailServer.description')}
        actions={
          <Button
            variant="default"
            leftSection={<IconSend size={18} aria-hidden />}
            onClick={() => setTesting(true)}
            disabled={!settings.data}
          >
            {t('mailServer.sendTestMail')}
          </Button>
        }
      />
      <QueryStates query={settings}>
        {(data) => (
          <Stack gap="lg">
            <MailServerStatus settings={data} />
            <MailServerForm key={data.updatedAt} settings={data} />
          </Stack>
        )}
      </QueryStates>
      {testing && settings.data && (
        <SystemTestMailDialog settings={settings.data} onClose={() => setTesting(false)} />
      )}
    </>
  );
}

function SystemTestMailDialog({ settings, onClose }: { settings: SystemMailSettings; onClose: () => void }) {
  const { t } = useTranslation();
  const mutation = useSystemTestMail();
  return (
    <TestMailDialog
      mutation={mutation}
      onClose={onClose}
      reasonText={(reason) => systemReasonText(t, reason)}
      notice={
        <>
          <Text size="sm">{t('mailServer.testMailNotice')}</Text>
          {!settings.enabled && (
            <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />}>
              {t('mailServer.testMailOff')}
            </Alert>
          )}
        </>
      }
    />
  );
}

function SummaryItem({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Text size="sm" style={{ wordBreak: 'break-word' }}>
        {children}
      </Text>
    </Stack>
  );
}

function MailServerStatus({ settings }: { settings: SystemMailSettings }) {
  const { t } = useTranslation();
  const format = useFormat();
  const status = statusOf(settings);
  const missing = settings.complete ? [] : missingFields(t, settings);
  const none = t('mailServer.notSet');
  const sender = settings.senderAddress
    ? settings.senderName
      ? `${settings.senderName} <${settings.senderAddress}>`
      : settings.senderAddress
    : none;
  return (
    <Card
      withBorder
      component="section"
      aria-labelledby="mail-server-status-title"
      data-testid="mail-server-status"
      data-status={status}
    >
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="mail-server-status-title">
          {t('mailServer.status.title')}
        </Title>
        <Badge color={STATUS_COLORS[status]} variant="light" style={{ minWidth: 'max-content' }}>
          {status === 'active'
            ? t('mailServer.status.active')
            : status === 'incomplete'
              ? t('mailServer.status.incomplete')
              : t('mailServer.status.off')}
        </Badge>
      </Group>
      <Text mb={missing.length > 0 ? 4 : 'md'}>
        {status === 'active'
          ? t('mailServer.status.activeText')
          : status === 'incomplete'
            ? t('mailServer.status.incompleteText')
            : t('mailServer.status.offText')}
      </Text>
      {missing.length > 0 && (
        <Text size="sm" c="dimmed" mb="md" data-testid="mail-server-missing">
          {t('mailServer.status.missing', { fields: missing.join(', ') })}
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
        <SummaryItem label={t('mailServer.authenticationLabel')}>
          {authenticationLabel(t, settings.authentication)}
        </SummaryItem>
        {settings.authentication === 'microsoft365' ? (
          <SummaryItem label={t('mailServer.graphTenantId')}>{settings.graph.tenantId || none}</SummaryItem>
        ) : (
          <SummaryItem label={t('mailServer.host')}>
            {settings.host
              ? t('mailServer.status.server', {
                  host: settings.host,
                  port: settings.port,
                  encryption: encryptionLabel(t, settings.encryption),
                })
              : none}
          </SummaryItem>
        )}
        <SummaryItem label={t('mailServer.status.sender')}>{sender}</SummaryItem>
        <SummaryItem label={t('mailServer.supportAddress')}>{settings.support.address || none}</SummaryItem>
        <SummaryItem label={t('mailServer.status.tenantSupportAddress')}>
          {settings.support.allowTenantAddress ? t('common.yes') : t('common.no')}
        </SummaryItem>
        <SummaryItem label={t('mailServer.status.updated')}>
          {settings.updatedAt ? format.dateTime(settings.updatedAt) : t('mailServer.status.neverChanged')}
        </SummaryItem>
      </SimpleGrid>
    </Card>
  );
}

interface Draft {
  enabled: boolean;
  authentication: SystemAuthentication;
  host: string;
  port: number | '';
  encryption: Encryption;
  username: string;
  password: SecretDraft;
  graphTenantId: string;
  graphClientId: string;
  clientSecret: SecretDraft;
  senderAddress: string;
  senderName: string;
  smtputf8: boolean;
  supportAddress: string;
  allowTenantAddress: boolean;
  attachSystemInfo: boolean;
}

const draftFrom = (settings: SystemMailSettings): Draft => ({
  enabled: settings.enabled,
  authentication: settings.authentication,
  host: settings.host,
  port: settings.port,
  encryption: settings.encryption,
  username: settings.username,
  password: emptySecret,
  graphTenantId: settings.graph.tenantId,
  graphClientId: settings.graph.clientId,
  clientSecret: emptySecret,
  senderAddress: settings.senderAddress,
  senderName: settings.senderName,
  smtputf8: settings.smtputf8,
  supportAddress: settings.support.address,
  allowTenantAddress: settings.support.allowTenantAddress,
  attachSystemInfo: settings.support.attachSystemInfo,
});

/** The three parts of the form, named by their legends. */
const LEGEND = { legend: { fontWeight: 600, paddingInline: 4 } };

const validPort = (port: number | '') => port !== '' && Number.isInteger(port) && port >= 1 && port <= 65535;

function MailServerForm({ settings }: { settings: SystemMailSettings }) {
  const { t } = useTranslation();
  const update = useUpdateMailServer();
  const [draft, setDraft] = useState<Draft>(() => draftFrom(settings));
  const [submitted, setSubmitted] = useState(false);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const graph = draft.authentication === 'microsoft365';

  const addressError = (value: string) =>
    submitted && value.trim() && !looksLikeAddress(value) ? t('sending.invalidAddress') : undefined;
  const portError = submitted && !graph && !validPort(draft.port) ? t('mailServer.portRange') : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    const badAddress = [draft.senderAddress, draft.supportAddress].some(
      (value) => value.trim() && !looksLikeAddress(value),
    );
    if ((!graph && !validPort(draft.port)) || badAddress) return;
    const body: SystemMailSettingsUpdate = {
      enabled: draft.enabled,
      authentication: draft.authentication,
      host: draft.host.trim(),
      encryption: draft.encryption,
      username: draft.username.trim(),
      password: secretChange(draft.password),
      graph: {
        tenantId: draft.graphTenantId.trim(),
        clientId: draft.graphClientId.trim(),
        clientSecret: secretChange(draft.clientSecret),
      },
      senderAddress: draft.senderAddress.trim(),
      senderName: draft.senderName.trim(),
      smtputf8: draft.smtputf8,
      support: {
        address: draft.supportAddress.trim(),
        allowTenantAddress: draft.allowTenantAddress,
        attachSystemInfo: draft.attachSystemInfo,
      },
    };
    if (validPort(draft.port)) body.port = draft.port as number;
    update.mutate(body, {
      onSuccess: () => notifications.show({ color: 'teal', message: t('common.saved') }),
    });
  };

  const encryption = (
    <EncryptionField
      text={{ label: t('mailServer.encryption'), hint: t('mailServer.encryptionHint') }}
      value={draft.encryption}
      onChange={(value) => set('encryption', value)}
    />
  );

  return (
    <Paper
      withBorder
      p="md"
      component="form"
      onSubmit={submit}
      noValidate
      autoComplete="off"
      aria-labelledby="mail-server-settings-title"
      data-testid="mail-server-form"
    >
      <Stack>
        <Title order={2} size="h4" id="mail-server-settings-title">
          {t('mailServer.settings')}
        </Title>

        <Fieldset legend={t('mailServer.baseSettings')} styles={LEGEND}>
          <Stack>
            <Switch
              label={t('mailServer.enabled')}
              description={t('mailServer.enabledHint')}
              checked={draft.enabled}
              onChange={(event) => set('enabled', event.currentTarget.checked)}
            />
            <Radio.Group
              label={t('mailServer.authenticationLabel')}
              description={t('mailServer.authenticationHint')}
              value={draft.authentication}
              onChange={(value) => set('authentication', value as SystemAuthentication)}
            >
              <Group mt="xs">
                {SYSTEM_AUTHENTICATIONS.map((value) => (
                  <Radio key={value} value={value} label={authenticationLabel(t, value)} />
                ))}
              </Group>
            </Radio.Group>
            {!graph && (
              <HostPortFields
                host={{ label: t('mailServer.host'), hint: t('mailServer.hostHint') }}
                port={{ label: t('mailServer.port'), hint: t('mailServer.portHint') }}
                value={draft}
                onHost={(value) => set('host', value)}
                onPort={(value) => set('port', value)}
                errors={{ port: portError }}
              />
            )}
            <SenderFields
              address={{
                label: t('mailServer.senderAddress'),
                hint: graph ? t('mailServer.senderAddressGraphHint') : t('mailServer.senderAddressHint'),
              }}
              name={{ label: t('mailServer.senderName'), hint: t('mailServer.senderNameHint') }}
              smtputf8={{ label: t('mailServer.smtputf8'), hint: t('mailServer.smtputf8Hint') }}
              value={draft}
              onText={(key, value) => set(key, value)}
              onSmtputf8={(value) => set('smtputf8', value)}
              addressError={addressError(draft.senderAddress)}
            />
          </Stack>
        </Fieldset>

        <Fieldset legend={t('mailServer.security')} styles={LEGEND}>
          <Stack>
            {draft.authentication === 'none' && (
              <>
                <Text size="sm" c="dimmed">
                  {t('mailServer.noAuthenticationHint')}
                </Text>
                {encryption}
              </>
            )}
            {draft.authentication === 'password' && (
              <>
                <Title order={3} size="h5">
                  {t('mailServer.authentication.password')}
                </Title>
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput
                    label={t('mailServer.username')}
                    value={draft.username}
                    onChange={(event) => set('username', event.currentTarget.value)}
                    autoComplete="off"
                    autoCapitalize="none"
                    spellCheck={false}
                  />
                  <SecretField
                    label={t('mailServer.password')}
                    isSet={settings.passwordSet}
                    value={draft.password}
                    onChange={(value) => set('password', value)}
                    removeLabel={t('mailServer.removePassword')}
                    statusTestId="mail-server-password-status"
                  />
                </SimpleGrid>
                {encryption}
              </>
            )}
            {graph && (
              <>
                <Title order={3} size="h5">
                  {t('mailServer.authentication.microsoft365')}
                </Title>
                <Text size="sm" c="dimmed">
                  {t('mailServer.graphHint')}
                </Text>
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput
                    label={t('mailServer.graphTenantId')}
                    description={t('mailServer.graphTenantIdHint')}
                    value={draft.graphTenantId}
                    onChange={(event) => set('graphTenantId', event.currentTarget.value)}
                    autoCapitalize="none"
                    spellCheck={false}
                  />
                  <TextInput
                    label={t('mailServer.graphClientId')}
                    description={t('mailServer.graphClientIdHint')}
                    value={draft.graphClientId}
                    onChange={(event) => set('graphClientId', event.currentTarget.value)}
                    autoCapitalize="none"
                    spellCheck={false}
                  />
                </SimpleGrid>
                <SecretField
                  label={t('mailServer.graphClientSecret')}
                  isSet={settings.graph.clientSecretSet}
                  value={draft.clientSecret}
                  onChange={(value) => set('clientSecret', value)}
                  removeLabel={t('mailServer.removeClientSecret')}
                  statusTestId="mail-server-client-secret-status"
                />
              </>
            )}
          </Stack>
        </Fieldset>

        <Fieldset legend={t('mailServer.support')} styles={LEGEND}>
          <Stack>
            <TextInput
              label={t('mailServer.supportAddress')}
              description={t('mailServer.supportAddressHint')}
              value={draft.supportAddress}
              onChange={(event) => set('supportAddress', event.currentTarget.value)}
              error={addressError(draft.supportAddress)}
              inputMode="email"
              autoCapitalize="none"
              spellCheck={false}
              maw={480}
            />
            <Checkbox
              label={t('mailServer.allowTenantAddress')}
              description={t('mailServer.allowTenantAddressHint')}
              checked={draft.allowTenantAddress}
              onChange={(event) => set('allowTenantAddress', event.currentTarget.checked)}
            />
            <Checkbox
              label={t('mailServer.attachSystemInfo')}
              description={t('mailServer.attachSystemInfoHint')}
              checked={draft.attachSystemInfo}
              onChange={(event) => set('attachSystemInfo', event.currentTarget.checked)}
            />
          </Stack>
        </Fieldset>

        {update.error && <ErrorAlert error={update.error} />}
        <Group justify="flex-end">
          <Button type="submit" loading={update.isPending}>
            {t('common.saveChanges')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
