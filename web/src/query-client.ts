import { QueryClient } from '@tanstack/react-query';
import { isApiError } from './shared/api/client';

/** Client errors (4xx) are answers, not hiccups: they are not retried. */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (isApiError(error) && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, refetchOnWindowFocus: false, staleTime: 10_000 },
      // A finished mutation is dropped at once: its variables and answer may hold passwords, secrets,
      // generated passwords, TOTP secrets or recovery codes, which must not linger in memory.
      mutations: { retry: false, gcTime: 0 },
    },
  });
}
