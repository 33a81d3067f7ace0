import { Anchor, Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shared/components/error-alert';
import { useDocumentTitle } from '../shared/document-title';
import { LanguageSwitcher } from '../shared/layout/language-switcher';
import { hasRole, useCurrentSession, useSignOut } from '../shared/session/session.hooks';

/** A tenant user with neither the Reader nor the Compliance role. */
export function WebAccessNoAccessPage() {
  const { t } = useTranslation();
  const session = useCurrentSession();
  const signOut = useSignOut();
  useDocumentTitle(t('webaccess.noAccess.title'));
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" radius="md" maw={520} data-testid="webaccess-no-access">
        <Stack align="center" ta="center">
          <IconLock size={40} aria-hidden />
          <Title order={1} size="h3">
            {t('webaccess.noAccess.title')}
          </Title>
          <Text>{t('webaccess.noAccess.description', { login: session.user.login })}</Text>
          {hasRole(session, ['admin', 'auditor']) && (
            <Text size="sm">
              <Anchor href="/adminaccess">
                {t('webaccess.noAccess.adminAccessLink', { face: t('faces.adminaccess') })}
              </Anchor>
            </Text>
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
