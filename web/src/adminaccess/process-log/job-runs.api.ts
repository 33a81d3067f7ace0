import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { auditKeys } from '../../shared/audit/audit-keys';
import { useApi } from '../../shared/session/realm-context';
import { adminKeys } from '../admin.api';
import type { Recurrence } from '../schedules/schedules.api';
import type { ProcessLogEntry, ProcessLogSeverity } from './process-log.api';

/** Where each console finds the runs: `${base}/job-runs`. */
export const ADMIN_JOBS_API = '/api/v1/admin';
export const SYSTEM_JOBS_API = '/api/v1/system';

/** Admin Access's pages of runs: the process log's Runs tab and a run's page. */
export const ADMIN_PROCESS_LOG_PATH = '/adminaccess/process-log';
export const adminRunPath = (runId: number) => `${ADMIN_PROCESS_LOG_PATH}/runs/${runId}`;

export const JOB_RUNS_PAGE_SIZE = 50;
/** While a shown run is queued or running, the list asks again this often… */
export const JOB_RUNS_ACTIVE_REFRESH_MS = 2_500;
/** …and otherwise as often as the messages list, for runs that start meanwhile. */
export const JOB_RUNS_IDLE_REFRESH_MS = 10_000;
/** How often an open run's page asks again while the run is queued or running. */
export const JOB_RUN_REFRESH_MS = 1_500;

export const JOB_RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'warnings',
  'failed',
  'cancelled',
  'interrupted',
  'skipped',
] as const;
/** A run's state; `warnings` is "succeeded with warnings". */
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

export const JOB_TRIGGERS = ['schedule', 'manual', 'intake', 'restart'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** docs/api-contract.md, "Schedules and job runs": `JobRun`. */
export interface JobRun {
  id: number;
  /** The id people quote (in logs, support requests); the filter matches it exactly. */
  requestId: string;
  /** Only in the System console's answers; null for the installation's own runs. */
  tenant?: { id: number; slug: string; name: string } | null;
  jobType: string;
  /** Null for job types without configurations (the archive integrity check). */
  configId: number | null;
  configName: string;
  trigger: JobTrigger;
  /** `description` is English; the pages word `recurrence` in the user's language. */
  schedule: { id: number; description: string; recurrence: Recurrence; timeZone: string } | null;
  status: JobRunStatus;
  /** The worst severity among the run's messages. */
  severity: ProcessLogSeverity;
  attempt: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Only while running. */
  progress: { done: number; total: number | null; note?: string } | null;
  counters: Record<string, number>;
  error: string | null;
  cancelRequested: boolean;
  /** The interrupted run this one runs again. */
  retriedFrom: { id: number; requestId: string } | null;
}

export interface JobRunDetail {
  run: JobRun;
  /** The run's process-log messages, oldest first. */
  entries: ProcessLogEntry[];
}

export interface JobRunsPage {
  runs: JobRun[];
  nextCursor: number | null;
}

export interface JobRunFilters {
  jobType?: string;
  requestId?: string;
  status?: JobRunStatus;
  minSeverity?: ProcessLogSeverity;
  /** Inclusive lower and exclusive upper bound of the queue time, ms. */
  since?: number;
  until?: number;
  /** A tenant's slug; the System console only. */
  tenant?: string;
}

export const isActiveRun = (run: Pick<JobRun, 'status'>): boolean =>
  run.status === 'queued' || run.status === 'running';

/**
 * Keyed by the API base, so the consoles never share an answer. Anything that starts runs invalidates
 * every query with 'job-runs' in its key (see schedules.api.ts).
 */
export const jobRunKeys = {
  all: ['job-runs'] as const,
  list: (base: string, filters: JobRunFilters) => ['job-runs', base, 'list', filters] as const,
  detail: (base: string, runId: number) => ['job-runs', base, 'detail', runId] as const,
};

/**
 * The runs newest first, a page at a time ("Load more"). Every refresh refetches the loaded pages
 * from the newest on; while a shown run is queued or running that happens every few seconds.
 */
export function useJobRuns(base: string, filters: JobRunFilters) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: jobRunKeys.list(base, filters),
    queryFn: ({ pageParam, signal }) =>
      api<JobRunsPage>(`${base}/job-runs`, {
        query: { ...filters, before: pageParam, limit: JOB_RUNS_PAGE_SIZE },
        signal,
      }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.runs.some(isActiveRun))
        ? JOB_RUNS_ACTIVE_REFRESH_MS
        : JOB_RUNS_IDLE_REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}

/** One run with its messages; refreshed every second or two until it has ended. */
export function useJobRun(base: string, runId: number) {
  const api = useApi();
  return useQuery({
    queryKey: jobRunKeys.detail(base, runId),
    queryFn: ({ signal }) => api<JobRunDetail>(`${base}/job-runs/${runId}`, { signal }),
    enabled: Number.isInteger(runId),
    refetchInterval: (query) => {
      const run = query.state.data?.run;
      return run && isActiveRun(run) ? JOB_RUN_REFRESH_MS : false;
    },
  });
}

/**
 * Cancels a queued run at once, or asks a running one to stop. Afterwards the run's page shows the
 * answer, and the lists, the dashboard (running jobs) and the audit log (job.cancel) are refetched.
 */
export function useCancelJobRun(base: string, runId: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<JobRun>(`${base}/job-runs/${runId}/cancel`, { method: 'POST' }),
    onSuccess: (run) => {
      queryClient.setQueryData<JobRunDetail>(jobRunKeys.detail(base, runId), (current) =>
        current ? { ...current, run } : current,
      );
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: jobRunKeys.all }),
        queryClient.invalidateQueries({ queryKey: adminKeys.dashboard }),
        queryClient.invalidateQueries({ queryKey: auditKeys.all }),
      ]);
    },
  });
}
