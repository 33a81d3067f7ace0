import { Alert, Button, Group, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { IconCircleCheck, IconSend } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components/error-alert';
import { PageHeader } from '../../shared/components/page-header';
import { isUnavailableReason, looksLikeAddress, unavailableReasonText } from '../../shared/sending/sending';
import { useContactSupport } from '../sending/sending.api';

/**
 * Admin Access → Contact support: a subject, the message and where the answer should go. The request
 * is queued for the installation's support address (or the tenant's own, when the system allows it);
 * the page then says where it went.
 */
export function ContactSupportPage() {
  const { t } = useTranslation();
  const send = useContactSupport();
  const [subject, setSubject] = useState('');
  const [message, setMessage] = useState('');
  const [replyTo, setReplyTo] = useState('');
  const [submitted, setSubmitted] = useState(false);

  const errors = {
    subject: !subject.trim() ? t('validation.required') : undefined,
    message: !message.trim() ? t('validation.required') : undefined,
    replyTo: replyTo.trim() && !looksLikeAddress(replyTo) ? t('sending.invalidAddress') : undefined,
  };
  const shown = (error: string | undefined) => (submitted ? error : undefined);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.values(errors).some(Boolean) || send.isPending) return;
    send.mutate({
      subject: subject.trim(),
      message: message.trim(),
      ...(replyTo.trim() ? { replyTo: replyTo.trim() } : {}),
    });
  };

  const writeAnother = () => {
    send.reset();
    setSubject('');
    setMessage('');
    setSubmitted(false);
  };

  // Sending is unavailable (409 with a reason code): say why in the user's language.
  const reason = send.error instanceof ApiError ? send.error.details.reason : undefined;
  const errorMessage = isUnavailableReason(reason) ? unavailableReasonText(t, reason) : undefined;

  return (
    <>
      <PageHeader title={t('support.title')} description={t('support.description')} />
      {send.data ? (
        <Alert
          color="teal"
          variant="light"
          role="status"
          icon={<IconCircleCheck aria-hidden />}
          title={t('support.sentTitle')}
          data-testid="support-request-sent"
          data-to={send.data.to}
          maw={720}
        >
          <Stack gap="sm" align="flex-start">
            <Text size="sm">{t('support.sentText', { to: send.data.to, id: send.data.id })}</Text>
            <Button variant="light" color="teal" onClick={writeAnother}>
              {t('support.writeAnother')}
            </Button>
          </Stack>
        </Alert>
      ) : (
        <Paper
          withBorder
          p="md"
          component="form"
          onSubmit={submit}
          noValidate
          aria-labelledby="support-form-title"
          maw={720}
          data-testid="support-form"
        >
          <Stack>
            <Title order={2} size="h4" id="support-form-title">
              {t('support.formTitle')}
            </Title>
            <TextInput
              label={t('support.subject')}
              value={subject}
              onChange={(event) => setSubject(event.currentTarget.value)}
              required
              maxLength={200}
              error={shown(errors.subject)}
            />
            <Textarea
              label={t('support.message')}
              description={t('support.messageHint')}
              value={message}
              onChange={(event) => setMessage(event.currentTarget.value)}
              required
              autosize
              minRows={6}
              maxRows={16}
              maxLength={20000}
              error={shown(errors.message)}
            />
            <TextInput
              label={t('support.replyTo')}
              description={t('support.replyToHint')}
              value={replyTo}
              onChange={(event) => setReplyTo(event.currentTarget.value)}
              error={shown(errors.replyTo)}
              inputMode="email"
              autoComplete="email"
              autoCapitalize="none"
              spellCheck={false}
            />
            {send.error && <ErrorAlert error={send.error} message={errorMessage} />}
            <Group justify="flex-end">
              <Button type="submit" loading={send.isPending} leftSection={<IconSend size={18} aria-hidden />}>
                {t('support.send')}
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </>
  );
}
