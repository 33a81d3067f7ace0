import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { auditKeys } from '../../shared/audit/audit-keys';
import { useApi } from '../../shared/session/realm-context';
import { adminKeys } from '../admin.api';

const BASE = '/api/v1/admin';
/** How often the open Schedules page asks again, so next run and last run follow the scheduler. */
export const SCHEDULES_REFRESH_MS = 5_000;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The allowed values of an every-N-minutes recurrence: the multiples of 15 that divide a day. */
export const EVERY_MINUTES: readonly number[] = [15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440];

/** src/jobs/recurrence.ts: a wall-clock rule in the schedule's time zone. */
export type Recurrence =
  /** Once, at a local date-time 'YYYY-MM-DDTHH:mm' (at least 1 minute in the future when saved). */
  | { kind: 'once'; at: string }
  /** Every N minutes (one of EVERY_MINUTES), in slots counted from local midnight. */
  | { kind: 'minutes'; every: number }
  /** Every hour at minute 0–59. */
  | { kind: 'hourly'; minute: number }
  /** Every day at 'HH:mm'. */
  | { kind: 'daily'; time: string }
  /** On the chosen days of the week (at least one) at 'HH:mm'. */
  | { kind: 'weekly'; days: Weekday[]; time: string }
  /** On day 1–31 of every month at 'HH:mm'; on the last day of months that have fewer days. */
  | { kind: 'monthly'; day: number; time: string };

export type RecurrenceKind = Recurrence['kind'];
export const RECURRENCE_KINDS: readonly RecurrenceKind[] = [
  'once',
  'minutes',
  'hourly',
  'daily',
  'weekly',
  'monthly',
];

export const JOB_STATUSES = [
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
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Something that can be run and scheduled: a job type and one of its configurations. */
export interface JobConfiguration {
  jobType: string;
  /** Null for job types without configurations (the archive integrity check). */
  configId: number | null;
  name: string;
}

/** docs/api-contract.md, "Schedules and job runs": `Schedule`. */
export interface Schedule {
  id: number;
  jobType: string;
  configId: number | null;
  /** Null when the configuration was deleted: the schedule no longer runs. */
  configName: string | null;
  recurrence: Recurrence;
  /** An English summary ("Daily at 09:30"), for logs; the page words the recurrence itself. */
  description: string;
  /** An IANA name such as Europe/Berlin. */
  timeZone: string;
  enabled: boolean;
  /** Null when disabled or when a once schedule has run. */
  nextRunAt: number | null;
  lastRun: { id: number; requestId: string; status: JobStatus; finishedAt: number | null } | null;
  createdAt: number;
  updatedAt: number;
}

/** The answer to "run now": the run, queued, or skipped when one of that configuration is queued or running. */
export interface JobRun {
  id: number;
  requestId: string;
  jobType: string;
  configId: number | null;
  configName: string;
  trigger: 'schedule' | 'manual' | 'intake' | 'restart';
  schedule: { id: number; description: string } | null;
  status: JobStatus;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
}

export interface ScheduleCreate {
  jobType: string;
  configId: number | null;
  recurrence: Recurrence;
  timeZone: string;
  enabled?: boolean;
}

/** What a schedule runs cannot change; send only the fields that did. */
export interface ScheduleUpdate {
  recurrence?: Recurrence;
  timeZone?: string;
  enabled?: boolean;
}

/** Under adminKeys.all, so any Admin Access change refetches them, and they refetch the rest. */
export const scheduleKeys = {
  all: [...adminKeys.all, 'schedules'] as const,
  configurations: [...adminKeys.all, 'job-configurations'] as const,
};

/** The link to a run's page in the process log. */
export const jobRunPath = (runId: number) => `/adminaccess/process-log/runs/${runId}`;

/**
 * After a change: all of Admin Access (schedules, runnable configurations, the dashboard), the audit
 * log, and any list of job runs (a run now is their newest entry).
 */
function useInvalidate() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: adminKeys.all }),
      queryClient.invalidateQueries({ queryKey: auditKeys.all }),
      queryClient.invalidateQueries({
        predicate: (query) => query.queryKey.some((part) => part === 'job-runs' || part === 'process-log'),
      }),
    ]);
}

export function useSchedules() {
  const api = useApi();
  return useQuery({
    queryKey: scheduleKeys.all,
    queryFn: ({ signal }) => api<{ schedules: Schedule[] }>(`${BASE}/schedules`, { signal }),
    select: (answer) => answer.schedules,
    refetchInterval: SCHEDULES_REFRESH_MS,
  });
}

export function useJobConfigurations() {
  const api = useApi();
  return useQuery({
    queryKey: scheduleKeys.configurations,
    queryFn: ({ signal }) =>
      api<{ configurations: JobConfiguration[] }>(`${BASE}/job-configurations`, { signal }),
    select: (answer) => answer.configurations,
  });
}

export function useSaveSchedule() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (
      input: { id: number; changes: ScheduleUpdate } | { id?: undefined; create: ScheduleCreate },
    ) =>
      input.id === undefined
        ? api<Schedule>(`${BASE}/schedules`, { method: 'POST', body: input.create })
        : api<Schedule>(`${BASE}/schedules/${input.id}`, { method: 'PATCH', body: input.changes }),
    onSuccess: invalidate,
  });
}

export function useDeleteSchedule() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/schedules/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

/** Runs a schedule's configuration now (202: the run, queued or skipped). */
export function useRunSchedule() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => api<JobRun>(`${BASE}/schedules/${id}/run`, { method: 'POST' }),
    onSuccess: invalidate,
  });
}

/** "Run now" for a configuration, with or without a schedule. */
export function useRunConfiguration() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (configuration: { jobType: string; configId: number | null }) =>
      api<JobRun>(`${BASE}/job-runs`, {
        method: 'POST',
        body: { jobType: configuration.jobType, configId: configuration.configId },
      }),
    onSuccess: invalidate,
  });
}
