import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorAlert } from './error-alert';
import { LoadingState } from './loading-state';

interface QueryStatesProps<TData> {
  query: UseQueryResult<TData>;
  /** Shown instead of the content when `isEmpty` says there is nothing to show. */
  empty?: ReactNode;
  /** By default: the data is an empty list. */
  isEmpty?: (data: TData) => boolean;
  children: (data: TData) => ReactNode;
}

const isEmptyList = (data: unknown) => Array.isArray(data) && data.length === 0;

/** A query's loading state, its error with "Try again", its empty state, or else its content. */
export function QueryStates<TData>({
  query,
  empty,
  isEmpty = isEmptyList,
  children,
}: QueryStatesProps<TData>) {
  if (query.isPending) return <LoadingState />;
  if (query.isError) return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />;
  if (empty !== undefined && isEmpty(query.data)) return empty;
  return children(query.data);
}
