import {
  Anchor,
  Box,
  Button,
  Center,
  Checkbox,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconArchive } from '@tabler/icons-react';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/client';
import type { SignInBody } from '../api/types';
import { ErrorAlert } from '../components/error-alert';
import { useDocumentTitle } from '../document-title';
import { LanguageSwitcher } from '../layout/language-switcher';
import { useRealm } from '../session/realm-context';
import { useSignIn } from '../session/session.hooks';
import { TotpCodeInput } from './totp-code-input';

type Step = 'credentials' | 'second-factor';

/** How long a trusted device skips the second factor (the server's TRUSTED_DEVICE_DAYS). */
const TRUSTED_DEVICE_DAYS = 14;

/**
 * Sign-in for every realm: a username for system and gateway administrators, "name@customer" for tenant users;
 * a second step asks for the TOTP code or a recovery code when the server answers TOTP_REQUIRED.
 */
export function SignInPage({ faceName }: { faceName: string }) {
  const { t } = useTranslation();
  const { realm } = useRealm();
  const signIn = useSignIn();
  const [step, setStep] = useState<Step>('credentials');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [trustDevice, setTrustDevice] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [waitSeconds, setWaitSeconds] = useState(0);
  const [submitted, setSubmitted] = useState(false);
  useDocumentTitle(`${t('signIn.title')} · ${faceName}`);

  useEffect(() => {
    if (waitSeconds <= 0) return;
    const timer = window.setTimeout(() => setWaitSeconds((seconds) => Math.max(0, seconds - 1)), 1000);
    return () => window.clearTimeout(timer);
  }, [waitSeconds]);

  const send = (body: SignInBody) => {
    setError(null);
    signIn.mutate(body, {
      onError: (failure) => {
        if (isApiError(failure, 'TOTP_REQUIRED') && step === 'credentials') {
          setStep('second-factor');
          return;
        }
        if (isApiError(failure, 'RATE_LIMITED')) {
          setWaitSeconds(failure.retryAfterSeconds ?? 60);
        }
        setError(failure);
      },
    });
  };

  const credentials = (): SignInBody =>
    realm === 'tenant' ? { login: login.trim(), password } : { username: login.trim(), password };

  const submitCredentials = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (waitSeconds > 0 || signIn.isPending || !login.trim() || !password) return;
    send(credentials());
  };

  const submitSecondFactor = (event: FormEvent) => {
    event.preventDefault();
    if (waitSeconds > 0 || signIn.isPending) return;
    const value = code.replace(/\s+/g, '');
    send({
      ...credentials(),
      ...(useRecovery ? { recoveryCode: value } : { totpCode: value }),
      trustDevice,
    });
  };

  const backToCredentials = () => {
    setStep('credentials');
    setCode('');
    setError(null);
    setPassword('');
  };

  const toggleRecovery = () => {
    setUseRecovery((value) => !value);
    setCode('');
    setError(null);
  };

  const errorTitleFor = (): string | undefined =>
    isApiError(error) && error.status === 401 ? t('signIn.failed') : undefined;

  const errorMessage = (): string | undefined => {
    if (!isApiError(error)) return undefined;
    if (error.code === 'RATE_LIMITED') {
      return waitSeconds > 0 ? t('signIn.rateLimited', { count: waitSeconds }) : t('signIn.rateLimitOver');
    }
    if (error.status === 401) {
      return step === 'credentials' ? t('signIn.invalidCredentials') : t('signIn.invalidCode');
    }
    return undefined;
  };

  // System and gateway administrators sign in with a username, tenant users with "name@customer".
  const loginLabels =
    realm === 'tenant'
      ? {
          label: t('signIn.login'),
          description: t('signIn.loginHint'),
          placeholder: t('signIn.loginPlaceholder'),
        }
      : { label: t('signIn.username') };

  return (
    <Box mih="100vh" bg="var(--mantine-color-gray-light)">
      <Group justify="space-between" p="md">
        <Group gap="xs">
          <IconArchive size={24} aria-hidden />
          <Text fw={700}>{t('app.productName')}</Text>
        </Group>
        <LanguageSwitcher />
      </Group>
      <Center px="md" pt="xl">
        <Paper component="main" withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420}>
          {step === 'credentials' ? (
            <form onSubmit={submitCredentials} noValidate aria-labelledby="sign-in-title">
              <Stack>
                <Stack gap={2}>
                  <Text size="sm" c="dimmed" fw={500}>
                    {faceName}
                  </Text>
                  <Title order={1} size="h3" id="sign-in-title">
                    {t('signIn.title')}
                  </Title>
                </Stack>
                <TextInput
                  {...loginLabels}
                  value={login}
                  onChange={(event) => setLogin(event.currentTarget.value)}
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  error={submitted && !login.trim() ? t('validation.required') : undefined}
                  autoFocus
                />
                <PasswordInput
                  label={t('signIn.password')}
                  value={password}
                  onChange={(event) => setPassword(event.currentTarget.value)}
                  autoComplete="current-password"
                  required
                  error={submitted && !password ? t('validation.required') : undefined}
                  visibilityToggleButtonProps={{ 'aria-label': t('common.showCharacters') }}
                />
                {error != null && (
                  <ErrorAlert error={error} message={errorMessage()} title={errorTitleFor()} />
                )}
                <Button type="submit" fullWidth loading={signIn.isPending} disabled={waitSeconds > 0}>
                  {t('signIn.submit')}
                </Button>
              </Stack>
            </form>
          ) : (
            <form onSubmit={submitSecondFactor} noValidate aria-labelledby="second-factor-title">
              <Stack>
                <Title order={1} size="h3" id="second-factor-title">
                  {t('signIn.secondFactorTitle')}
                </Title>
                <Text size="sm">{useRecovery ? t('signIn.recoveryHint') : t('signIn.codeHint')}</Text>
                {useRecovery ? (
                  <TextInput
                    key="recovery"
                    label={t('signIn.recoveryCode')}
                    value={code}
                    onChange={(event) => setCode(event.currentTarget.value)}
                    autoComplete="off"
                    autoCapitalize="none"
                    spellCheck={false}
                    required
                    autoFocus
                  />
                ) : (
                  <TotpCodeInput
                    key="totp"
                    label={t('signIn.code')}
                    value={code}
                    onChange={setCode}
                    autoFocus
                  />
                )}
                <Anchor component="button" type="button" size="sm" onClick={toggleRecovery} ta="left">
                  {useRecovery ? t('signIn.useCode') : t('signIn.useRecoveryCode')}
                </Anchor>
                <Checkbox
                  label={t('signIn.trustDevice', { count: TRUSTED_DEVICE_DAYS })}
                  checked={trustDevice}
                  onChange={(event) => setTrustDevice(event.currentTarget.checked)}
                />
                {error != null && (
                  <ErrorAlert error={error} message={errorMessage()} title={errorTitleFor()} />
                )}
                <Group justify="space-between">
                  <Button variant="default" onClick={backToCredentials}>
                    {t('common.back')}
                  </Button>
                  <Button type="submit" loading={signIn.isPending} disabled={waitSeconds > 0 || !code.trim()}>
                    {t('signIn.verify')}
                  </Button>
                </Group>
              </Stack>
            </form>
          )}
        </Paper>
      </Center>
    </Box>
  );
}
