import { Alert, Button, List } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

export function errorTitle(t: TFunction, error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'INTERNAL';
  switch (code) {
    case 'VALIDATION':
      return t('errors.VALIDATION');
    case 'UNAUTHENTICATED':
      return t('errors.UNAUTHENTICATED');
    case 'FORBIDDEN':
      return t('errors.FORBIDDEN');
    case 'CSRF_TOKEN_INVALID':
      return t('errors.CSRF_TOKEN_INVALID');
    case 'NOT_FOUND':
      return t('errors.NOT_FOUND');
    case 'CONFLICT':
      return t('errors.CONFLICT');
    case 'RATE_LIMITED':
      return t('errors.RATE_LIMITED');
    case 'TEMPORARY':
      return t('errors.TEMPORARY');
    case 'NETWORK':
      return t('errors.NETWORK');
    default:
      return t('errors.INTERNAL');
  }
}

interface ErrorAlertProps {
  error: unknown;
  /** Replaces the server's message, for errors the page explains better itself. */
  message?: string;
  title?: string;
  onRetry?: () => void;
  /** Moves the keyboard focus to the alert when it appears (default true). */
  focus?: boolean;
}

/** Shows an API error: a translated title for its code and the server's own message. */
export function ErrorAlert({ error, message, title, onRetry, focus = true }: ErrorAlertProps) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, [error, focus]);
  const apiError = error instanceof ApiError ? error : null;
  const text = message ?? (error instanceof Error ? error.message : String(error));
  const issues = message === undefined ? (apiError?.issues ?? []) : [];
  return (
    <Alert
      ref={ref}
      tabIndex={-1}
      role="alert"
      color="red"
      variant="light"
      icon={<IconAlertTriangle aria-hidden />}
      title={title ?? errorTitle(t, error)}
      data-testid="error-alert"
    >
      {text}
      {issues.length > 0 && (
        <List size="sm" mt="xs">
          {issues.map((issue, index) => (
            <List.Item key={index}>
              {Array.isArray(issue.path) ? issue.path.join('.') : issue.path}: {issue.message}
            </List.Item>
          ))}
        </List>
      )}
      {onRetry && (
        <Button mt="sm" size="xs" variant="light" color="red" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      )}
    </Alert>
  );
}
