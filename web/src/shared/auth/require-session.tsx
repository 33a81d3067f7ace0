import { Center, Container } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { applyLanguage } from '../../i18n';
import { ErrorAlert } from '../components/error-alert';
import { LoadingState } from '../components/loading-state';
import { useSession } from '../session/session.hooks';
import { SignInPage } from './sign-in-page';

/**
 * Renders its children for a signed-in session of the realm and the sign-in page otherwise, in place:
 * the address stays, so a deep link opens after sign-in.
 */
export function RequireSession({ faceName, children }: { faceName: string; children: ReactNode }) {
  const session = useSession();
  const sessionLanguage = session.data?.user.language;

  // Signed in, the language saved with the user wins over this browser's choice.
  useEffect(() => {
    if (sessionLanguage) applyLanguage(sessionLanguage);
  }, [sessionLanguage]);

  if (session.isPending) return <LoadingState fullPage />;
  if (session.isError) {
    return (
      <Container size="sm" py="xl">
        <Center>
          <ErrorAlert error={session.error} onRetry={() => void session.refetch()} />
        </Center>
      </Container>
    );
  }
  if (!session.data) return <SignInPage faceName={faceName} />;
  return <>{children}</>;
}
