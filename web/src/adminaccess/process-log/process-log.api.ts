import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useApi } from '../../shared/session/realm-context';

const BASE = '/api/v1/admin/process-log';
export const PROCESS_LOG_PAGE_SIZE = 50;
/** How often the open page asks for new entries (the intake writes them as mail arrives). */
export const PROCESS_LOG_REFRESH_MS = 10_000;

export type ProcessLogSeverity = 'info' | 'warning' | 'error';

/** docs/api-contract.md, "Process log". */
export interface ProcessLogEntry {
  id: number;
  at: number;
  /** The process type, e.g. `journal-intake`. */
  process: string;
  /** The configuration the entry is about (for the journal intake: the journal endpoint). */
  subjectId: number | null;
  subjectName: string;
  severity: ProcessLogSeverity;
  /** An English sentence written by the process. */
  message: string;
  details: Record<string, unknown>;
  /** The job run that wrote it (its page: /adminaccess/process-log/runs/:runId), or null. */
  runId: number | null;
}

export interface ProcessLogPage {
  entries: ProcessLogEntry[];
  nextCursor: number | null;
}

export interface ProcessLogFilters {
  process?: string;
  minSeverity?: ProcessLogSeverity;
  /** Inclusive lower and exclusive upper bound, ms. */
  since?: number;
  until?: number;
}

export const processLogKeys = {
  all: ['process-log'] as const,
  list: (filters: ProcessLogFilters) => ['process-log', filters] as const,
};

/**
 * The log newest first, a page at a time ("Load more"). Every refresh refetches the loaded pages
 * from the newest on, so new entries push older ones down without gaps or repeats.
 */
export function useProcessLog(filters: ProcessLogFilters) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: processLogKeys.list(filters),
    queryFn: ({ pageParam, signal }) =>
      api<ProcessLogPage>(BASE, {
        query: { ...filters, before: pageParam, limit: PROCESS_LOG_PAGE_SIZE },
        signal,
      }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: PROCESS_LOG_REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}
