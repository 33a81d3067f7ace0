import { Alert, Button, Code, Group, Stack, Text, TextInput } from '@mantine/core';
import { IconCircleCheck, IconCircleX } from '@tabler/icons-react';
import type { UseMutationResult } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../components/error-alert';
import { FormModal } from '../components/form-modal';
import {
  isUnavailableReason,
  looksLikeAddress,
  transportLabel,
  unavailableReasonText,
  type TestMailResult,
} from './sending';

interface TestMailDialogProps {
  /** The console's test mail mutation (System console or Admin Access), made by the dialog's wrapper. */
  mutation: UseMutationResult<TestMailResult, Error, string>;
  /** Above the field: what the test uses, or why it will fail. */
  notice?: ReactNode;
  /**
   * Words a failure's reason code (SYSTEM_SENDING_OFF, …) for this console; by default the tenant's
   * wording.
   */
  reasonText?: (reason: string) => string;
  onClose: () => void;
}

/**
 * "Send test mail": a recipient, then the outcome in detail: the server's reply, or the error with
 * the SMTP reply or Graph error behind it. It stays open to try again.
 */
export function TestMailDialog({ mutation, notice, reasonText, onClose }: TestMailDialogProps) {
  const { t } = useTranslation();
  const [to, setTo] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const trimmed = to.trim();
  const fieldError = !submitted
    ? undefined
    : !trimmed
      ? t('validation.required')
      : !looksLikeAddress(trimmed)
        ? t('sending.invalidAddress')
        : undefined;

  const submit = () => {
    setSubmitted(true);
    if (!trimmed || !looksLikeAddress(trimmed) || mutation.isPending) return;
    mutation.mutate(trimmed);
  };

  return (
    <FormModal title={t('sending.testMail.title')} size="lg" onClose={onClose} onSubmit={submit}>
      {notice}
      <TextInput
        label={t('sending.testMail.to')}
        description={t('sending.testMail.toHint')}
        value={to}
        onChange={(event) => setTo(event.currentTarget.value)}
        required
        error={fieldError}
        inputMode="email"
        autoComplete="email"
        autoCapitalize="none"
        spellCheck={false}
        data-autofocus
      />
      {mutation.data && !mutation.isPending && (
        <TestMailOutcome result={mutation.data} to={mutation.variables ?? trimmed} reasonText={reasonText} />
      )}
      {mutation.error && <ErrorAlert error={mutation.error} />}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          {t('common.close')}
        </Button>
        <Button type="submit" loading={mutation.isPending}>
          {t('sending.testMail.send')}
        </Button>
      </Group>
    </FormModal>
  );
}

/** A test mail's outcome: accepted with the server's reply, or not sent and why. */
export function TestMailOutcome(props: {
  result: TestMailResult;
  to: string;
  reasonText?: (reason: string) => string;
}) {
  const { result, to } = props;
  const { t } = useTranslation();
  const reasonText = props.reasonText ?? ((reason: string) => unavailableReasonText(t, reason));
  if (result.sent) {
    return (
      <Alert
        color="teal"
        variant="light"
        role="status"
        icon={<IconCircleCheck aria-hidden />}
        title={t('sending.testMail.sentTitle')}
        data-testid="test-mail-result"
        data-sent="true"
      >
        <Stack gap="xs">
          <Text size="sm">
            {t('sending.testMail.sentText', { to, transport: transportLabel(t, result.transport) })}
          </Text>
          <Text size="sm" fw={600}>
            {t('sending.testMail.response')}
          </Text>
          <Code
            block
            data-testid="test-mail-response"
            style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}
          >
            {result.response || '—'}
          </Code>
        </Stack>
      </Alert>
    );
  }
  const reason = isUnavailableReason(result.detail) ? result.detail : null;
  return (
    <Alert
      color="red"
      variant="light"
      role="status"
      icon={<IconCircleX aria-hidden />}
      title={t('sending.testMail.failedTitle')}
      data-testid="test-mail-result"
      data-sent="false"
      data-reason={reason ?? undefined}
    >
      <Stack gap="xs">
        {reason ? (
          <Text size="sm">{reasonText(reason)}</Text>
        ) : (
          <>
            {result.transport && (
              <Text size="sm">
                {t('sending.testMail.failedVia', { transport: transportLabel(t, result.transport) })}
              </Text>
            )}
            <Text size="sm" data-testid="test-mail-error">
              {result.error}
            </Text>
            <Text size="sm" fw={600}>
              {t('sending.testMail.detail')}
            </Text>
            <Code
              block
              data-testid="test-mail-detail"
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}
            >
              {result.detail || '—'}
            </Code>
          </>
        )}
      </Stack>
    </Alert>
  );
}
