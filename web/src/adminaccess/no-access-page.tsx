import { Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shared/components/error-alert';
import { useDocumentTitle } from '../shared/document-title';
import { LanguageSwitcher } from '../shared/layout/language-switcher';
import { useCurrentSession, useSignOut } from '../shared/session/session.hooks';

/** A tenant user without the Admin or the Auditor role. */
export function NoAccessPage() {
  const { t } = useTranslation();
  const session = useCurrentSession();
  const signOut = useSignOut();
  useDocumentTitle(t('noAccess.title'));
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" radius="md" maw={520}>
        <Stack align="center" ta="center">
          <IconLock size={40} aria-hidden />
          <Title order={1} size="h3">
            {t('noAccess.title')}
          </Title>
          <Text>{t('noAccess.description', { login: session.user.login })}</Text>
          {(session.roles.includes('reader') || session.roles.includes('compliance')) && (
            <Button component="a" href="/webaccess" variant="light">
              {t('noAccess.webAccessHint', { face: t('faces.webaccess') })}
            </Button>
          )}
          {signOut.error && <ErrorAlert error={signOut.error} />}
          <Button onClick={() => signOut.mutate()} loading={signOut.isPending} autoFocus>
            {t('userMenu.signOut')}
          </Button>
          <LanguageSwitcher />
        </Stack>
      </Paper>
    </Center>
  );
}
