import { Alert, Button, Group, Radio, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconCircleCheck, IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, isApiError } from '../shared/api/client';
import { ErrorAlert } from '../shared/components/error-alert';
import { FormModal } from '../shared/components/form-modal';
import { isUnavailableReason, looksLikeAddress, unavailableReasonText } from '../shared/sending/sending';
import { useMe, useResend, useSendingAvailability } from './webaccess.api';

/** Why Resend cannot be used now, or null when it can (or is still being asked). */
export function useResendUnavailableReason(): string | null {
  const { t } = useTranslation();
  const availability = useSendingAvailability();
  if (!availability.data || availability.data.available) return null;
  return unavailableReasonText(t, availability.data.reason ?? 'unknown');
}

/**
 * "Resend mail": opens the dialog when mail can be sent. Otherwise it stays visible but disabled,
 * and says why (tooltip, and the text under the toolbar that `reasonId` names); it turns on by itself
 * once sending is set up (availability is asked every minute and on window focus).
 */
export function ResendButton({
  messageId,
  subject,
  reasonId,
}: {
  messageId: number;
  subject: string;
  reasonId: string;
}) {
  const { t } = useTranslation();
  const availability = useSendingAvailability();
  const reason = useResendUnavailableReason();
  const [open, setOpen] = useState(false);
  const disabled = reason !== null || !availability.data;
  const button = (
    <Button
      variant="default"
      size="xs"
      leftSection={<IconSend size={16} aria-hidden />}
      aria-disabled={disabled || undefined}
      aria-describedby={reason ? reasonId : undefined}
      data-disabled={disabled || undefined}
      onClick={(event) => {
        if (disabled) event.preventDefault();
        else setOpen(true);
      }}
      data-testid="resend-button"
      data-available={availability.data?.available ?? undefined}
    >
      {t('webaccess.resend.action')}
    </Button>
  );
  return (
    <>
      {reason ? (
        <Tooltip label={reason} multiline w={320}>
          {button}
        </Tooltip>
      ) : (
        button
      )}
      {open && <ResendDialog messageId={messageId} subject={subject} onClose={() => setOpen(false)} />}
    </>
  );
}

type Target = 'me' | 'other';

function ResendDialog({
  messageId,
  subject,
  onClose,
}: {
  messageId: number;
  subject: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const me = useMe();
  const resend = useResend(messageId);
  const ownAddress = me.data?.email ?? null;
  const [target, setTarget] = useState<Target | null>(null);
  const [to, setTo] = useState('');
  const [submitted, setSubmitted] = useState(false);
  // Until the user chooses: to themselves when they have an address.
  const chosen: Target = target ?? (me.isPending || ownAddress ? 'me' : 'other');

  const localError =
    chosen !== 'other' || !submitted
      ? undefined
      : !to.trim()
        ? t('validation.required')
        : !looksLikeAddress(to)
          ? t('sending.invalidAddress')
          : undefined;
  // The server's word on the address (400 with an issue for "to"), shown at the field.
  const serverIssue =
    resend.error instanceof ApiError && resend.error.code === 'VALIDATION'
      ? resend.error.issues.find(
          (issue) => (Array.isArray(issue.path) ? issue.path.join('.') : issue.path) === 'to',
        )
      : undefined;
  const fieldError = localError ?? (chosen === 'other' ? serverIssue?.message : undefined);
  const reason = isApiError(resend.error) ? resend.error.details.reason : undefined;
  const alertMessage = isUnavailableReason(reason)
    ? unavailableReasonText(t, reason)
    : serverIssue && chosen === 'me'
      ? serverIssue.message
      : undefined;
  const showAlert = resend.error != null && !(serverIssue && chosen === 'other');

  const submit = () => {
    setSubmitted(true);
    if (resend.isPending || resend.data) return;
    if (chosen === 'me' && !ownAddress) return;
    if (chosen === 'other' && (!to.trim() || !looksLikeAddress(to))) return;
    resend.mutate(chosen === 'other' ? to.trim() : undefined);
  };

  return (
    <FormModal title={t('webaccess.resend.title')} onClose={onClose} onSubmit={submit}>
      <Text size="sm">{t('webaccess.resend.description', { subject })}</Text>
      {resend.data ? (
        <Alert
          color="teal"
          variant="light"
          role="status"
          icon={<IconCircleCheck aria-hidden />}
          title={t('webaccess.resend.sentTitle')}
          data-testid="resend-sent"
        >
          {t('webaccess.resend.sentText', { to: resend.data.to })}
        </Alert>
      ) : (
        <Radio.Group
          label={t('webaccess.resend.to')}
          value={chosen}
          onChange={(value) => {
            setTarget(value as Target);
            resend.reset();
          }}
        >
          <Stack gap="xs" mt="xs">
            <Radio
              value="me"
              disabled={!ownAddress}
              label={
                ownAddress
                  ? t('webaccess.resend.toMe', { address: ownAddress })
                  : t('webaccess.resend.toMeUnavailable')
              }
            />
            <Radio value="other" label={t('webaccess.resend.toOther')} />
            {chosen === 'other' && (
              <TextInput
                label={t('webaccess.resend.address')}
                value={to}
                onChange={(event) => {
                  setTo(event.currentTarget.value);
                  if (resend.error) resend.reset();
                }}
                required
                error={fieldError}
                inputMode="email"
                autoComplete="email"
                autoCapitalize="none"
                spellCheck={false}
                data-autofocus
                ml="xl"
              />
            )}
          </Stack>
        </Radio.Group>
      )}
      {showAlert && <ErrorAlert error={resend.error} message={alertMessage} />}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          {resend.data ? t('common.close') : t('common.cancel')}
        </Button>
        {!resend.data && (
          <Button type="submit" loading={resend.isPending} leftSection={<IconSend size={16} aria-hidden />}>
            {t('webaccess.resend.send')}
          </Button>
        )}
      </Group>
    </FormModal>
  );
}
