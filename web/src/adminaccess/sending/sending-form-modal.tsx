import { Alert, Divider, Radio, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../shared/components/error-alert';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { emptySecret, SecretField, secretChange, type SecretDraft } from '../../shared/sending/secret-field';
import { EncryptionField, HostPortFields, SenderFields } from '../../shared/sending/smtp-fields';
import { looksLikeAddress, type Encryption } from '../../shared/sending/sending';
import { ConnectTenant } from './connect-tenant';
import { sendingTypeLabel } from './sending-labels';
import {
  useMicrosoftUsers,
  useUpdateSending,
  type TenantSending,
  type TenantSendingType,
  type TenantSendingUpdate,
} from './sending.api';

interface Draft {
  type: TenantSendingType;
  host: string;
  port: number | '';
  encryption: Encryption;
  username: string;
  password: SecretDraft;
  senderAddress: string;
  senderName: string;
  smtputf8: boolean;
  supportAddress: string;
}

/** The sending mailbox as picked, for the Microsoft 365 tenant it belongs to. */
interface SenderPick {
  tenantId: string;
  id: string;
  address: string;
}

const validPort = (port: number | '') => port !== '' && Number.isInteger(port) && port >= 1 && port <= 65535;

/** Why a type cannot be chosen now, or undefined when it can. */
function useTypeBlocked(sending: TenantSending) {
  const { t } = useTranslation();
  return (type: TenantSendingType): string | undefined => {
    if (type === 'none') return undefined;
    if (!sending.policy.mayConfigureOwn) return t('sending.typeNotAllowed');
    if (type === 'microsoft365' && !sending.microsoft365.available)
      return t('sending.microsoft365Unavailable');
    return undefined;
  };
}

/**
 * Configure sending mails: None (the system's mail server, when the system allows it), SMTP or
 * Microsoft 365 (Connect Tenant, then the sending mailbox), and the support address when the system
 * lets the tenant set one.
 */
export function SendingFormModal({ sending, onClose }: { sending: TenantSending; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useUpdateSending();
  const blocked = useTypeBlocked(sending);
  // A stored type the system no longer allows cannot be saved again; the dialog starts at None then.
  const storedTypeBlocked = blocked(sending.type);
  const [draft, setDraft] = useState<Draft>(() => ({
    type: storedTypeBlocked ? 'none' : sending.type,
    host: sending.smtp.host,
    port: sending.smtp.port,
    encryption: sending.smtp.encryption,
    username: sending.smtp.username,
    password: emptySecret,
    senderAddress: sending.senderAddress,
    senderName: sending.senderName,
    smtputf8: sending.smtputf8,
    supportAddress: sending.support.address,
  }));
  const m365 = sending.microsoft365;
  const stored: SenderPick = { tenantId: m365.tenantId, id: m365.senderId, address: m365.senderAddress };
  const [pick, setPick] = useState<SenderPick>(stored);
  // Connecting another Microsoft 365 tenant drops the mailbox picked for the previous one.
  const sender = pick.tenantId === m365.tenantId ? pick : stored;
  const [submitted, setSubmitted] = useState(false);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));

  const users = useMicrosoftUsers(draft.type === 'microsoft365' && m365.tenantId !== '');
  const userOptions = (users.data ?? [])
    .filter((user) => user.mail)
    .map((user) => ({
      value: user.id,
      label: user.displayName ? `${user.displayName} <${user.mail}>` : user.mail,
    }));
  if (sender.id && !userOptions.some((option) => option.value === sender.id))
    userOptions.unshift({ value: sender.id, label: sender.address });

  const smtp = draft.type === 'smtp';
  const graph = draft.type === 'microsoft365';
  const errors = {
    host: smtp && !draft.host.trim() ? t('validation.required') : undefined,
    port: smtp && !validPort(draft.port) ? t('sending.portRange') : undefined,
    senderAddress: !smtp
      ? undefined
      : !draft.senderAddress.trim()
        ? t('validation.required')
        : !looksLikeAddress(draft.senderAddress)
          ? t('sending.invalidAddress')
          : undefined,
    password:
      smtp &&
      draft.username.trim() &&
      (draft.password.remove || (!sending.smtp.passwordSet && !draft.password.value))
        ? t('sending.passwordRequired')
        : undefined,
    sender: !graph
      ? undefined
      : !m365.tenantId
        ? t('sending.connectFirst')
        : !sender.id
          ? t('validation.required')
          : undefined,
    supportAddress:
      sending.support.tenantAddressAllowed &&
      draft.supportAddress.trim() &&
      !looksLikeAddress(draft.supportAddress)
        ? t('sending.invalidAddress')
        : undefined,
  };
  const shown = (error: string | undefined) => (submitted ? error : undefined);

  const submit = () => {
    setSubmitted(true);
    if (Object.values(errors).some(Boolean) || blocked(draft.type)) return;
    const body: TenantSendingUpdate = { type: draft.type };
    if (smtp) {
      body.smtp = {
        host: draft.host.trim(),
        port: draft.port as number,
        encryption: draft.encryption,
        username: draft.username.trim(),
        password: secretChange(draft.password),
      };
      body.senderAddress = draft.senderAddress.trim();
      body.smtputf8 = draft.smtputf8;
    }
    if (smtp || graph) body.senderName = draft.senderName.trim();
    if (graph && (sender.id !== m365.senderId || sender.address !== m365.senderAddress))
      body.microsoft365Sender = { id: sender.id, address: sender.address };
    if (sending.support.tenantAddressAllowed) body.supportAddress = draft.supportAddress.trim();
    save.mutate(body, {
      onSuccess: () => {
        notifications.show({ color: 'teal', message: t('common.saved') });
        onClose();
      },
    });
  };

  const typeOption = (type: TenantSendingType, description: string) => {
    const reason = blocked(type);
    return (
      <Radio
        value={type}
        label={sendingTypeLabel(t, type)}
        description={reason ? `${description} ${reason}` : description}
        disabled={reason !== undefined}
      />
    );
  };

  return (
    <FormModal
      title={t('sending.configureTitle')}
      size="xl"
      onClose={onClose}
      onSubmit={submit}
      autoComplete="off"
    >
      {storedTypeBlocked && (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {t('sending.storedTypeBlocked', {
            type: sendingTypeLabel(t, sending.type),
            reason: storedTypeBlocked,
          })}
        </Alert>
      )}
      <Radio.Group
        label={t('sending.typeLabel')}
        value={draft.type}
        onChange={(value) => set('type', value as TenantSendingType)}
      >
        <Stack gap="sm" mt="xs">
          {typeOption('none', t('sending.typeNoneHint'))}
          {typeOption('smtp', t('sending.typeSmtpHint'))}
          {typeOption('microsoft365', t('sending.typeMicrosoft365Hint'))}
        </Stack>
      </Radio.Group>

      {draft.type === 'none' && (
        <Text size="sm" c="dimmed" data-testid="sending-none-explained">
          {sending.policy.mayUseSystemServer ? t('sending.noneExplained') : t('sending.noneNotAllowed')}
        </Text>
      )}

      {smtp && (
        <>
          <Divider label={t('sending.smtpSection')} labelPosition="left" />
          <HostPortFields
            host={{ label: t('sending.host'), hint: t('sending.hostHint') }}
            port={{ label: t('sending.port'), hint: t('sending.portHint') }}
            value={draft}
            onHost={(value) => set('host', value)}
            onPort={(value) => set('port', value)}
            errors={{ host: shown(errors.host), port: shown(errors.port) }}
            required
            autoFocus
          />
          <EncryptionField
            text={{ label: t('sending.encryptionLabel'), hint: t('sending.encryptionHint') }}
            value={draft.encryption}
            onChange={(value) => set('encryption', value)}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label={t('sending.username')}
              description={t('sending.usernameHint')}
              value={draft.username}
              onChange={(event) => set('username', event.currentTarget.value)}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
            />
            <SecretField
              label={t('sending.password')}
              isSet={sending.smtp.passwordSet}
              value={draft.password}
              onChange={(value) => set('password', value)}
              removeLabel={t('sending.removePassword')}
              statusTestId="sending-password-status"
              error={shown(errors.password)}
            />
          </SimpleGrid>
          <SenderFields
            address={{ label: t('sending.senderAddress'), hint: t('sending.senderAddressHint') }}
            name={{ label: t('sending.senderName'), hint: t('sending.senderNameHint') }}
            smtputf8={{ label: t('sending.smtputf8'), hint: t('sending.smtputf8Hint') }}
            value={draft}
            onText={(key, value) => set(key, value)}
            onSmtputf8={(value) => set('smtputf8', value)}
            addressError={shown(errors.senderAddress)}
            required
          />
        </>
      )}

      {graph && (
        <>
          <Divider label={t('sending.microsoft365Section')} labelPosition="left" />
          <ConnectTenant sending={sending} />
          <Select
            label={t('sending.microsoft365Sender')}
            description={t('sending.microsoft365SenderHint')}
            placeholder={
              !m365.tenantId
                ? t('sending.connectFirst')
                : users.isPending
                  ? t('common.loading')
                  : t('sending.pickMailbox')
            }
            data={userOptions}
            value={sender.id || null}
            onChange={(value, option) => {
              const user = users.data?.find((candidate) => candidate.id === value);
              setPick({
                tenantId: m365.tenantId,
                id: value ?? '',
                address: user?.mail ?? (value ? (option?.label ?? '') : ''),
              });
            }}
            searchable
            disabled={!m365.tenantId}
            required
            withAsterisk={false}
            nothingFoundMessage={users.isPending ? t('common.loading') : t('common.nothingFound')}
            error={shown(errors.sender)}
            data-testid="microsoft365-sender"
          />
          {users.error && <ErrorAlert error={users.error} title={t('sending.usersError')} focus={false} />}
          <Alert
            color="yellow"
            variant="light"
            icon={<IconAlertTriangle aria-hidden />}
            title={t('sending.journalingTitle')}
            data-testid="journaling-warning"
          >
            {t('sending.journalingWarning')}
          </Alert>
          <TextInput
            label={t('sending.senderName')}
            description={t('sending.senderNameHint')}
            value={draft.senderName}
            onChange={(event) => set('senderName', event.currentTarget.value)}
          />
        </>
      )}

      {sending.support.tenantAddressAllowed && (
        <>
          <Divider label={t('sending.supportSection')} labelPosition="left" />
          <TextInput
            label={t('sending.supportAddress')}
            description={t('sending.supportAddressHint')}
            value={draft.supportAddress}
            onChange={(event) => set('supportAddress', event.currentTarget.value)}
            error={shown(errors.supportAddress)}
            inputMode="email"
            autoCapitalize="none"
            spellCheck={false}
          />
        </>
      )}

      <Text size="xs" c="dimmed">
        {t('sending.delayNotice')}
      </Text>
      <ModalFooter
        submitLabel={t('common.saveChanges')}
        pending={save.isPending}
        error={save.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
