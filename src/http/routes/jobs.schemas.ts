import { z } from 'zod';
import { MAX_JOB_RUNS_PAGE } from '../../jobs/job-runs.service.js';
import { recurrenceSchema } from '../../jobs/recurrence.js';
import { ProcessLogEntrySchema, Severity } from './process-log.schemas.js';

/** Schedules, runnable configurations and job runs (docs/api-contract.md, "Schedules and job runs"). */
export const JobStatusSchema = z.enum([
  'queued',
  'running',
  'succeeded',
  'warnings',
  'failed',
  'cancelled',
  'interrupted',
  'skipped',
]);

export const JobTriggerSchema = z.enum(['schedule', 'manual', 'intake', 'restart']);

export const JobConfigurationSchema = z.object({
  jobType: z.string(),
  configId: z.number().nullable(),
  name: z.string(),
});

export const ScheduleSchema = z.object({
  id: z.number(),
  jobType: z.string(),
  configId: z.number().nullable(),
  configName: z.string().nullable(),
  recurrence: recurrenceSchema,
  description: z.string(),
  timeZone: z.string(),
  enabled: z.boolean(),
  nextRunAt: z.number().nullable(),
  lastRun: z
    .object({
      id: z.number(),
      requestId: z.string(),
      status: JobStatusSchema,
      finishedAt: z.number().nullable(),
    })
    .nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const TimeZone = z.string().trim().min(1).max(100);

export const ScheduleCreateBody = z.object({
  jobType: z.string().trim().min(1).max(100),
  configId: z.number().int().positive().nullable(),
  recurrence: recurrenceSchema,
  timeZone: TimeZone,
  enabled: z.boolean().optional(),
});

export const ScheduleUpdateBody = z.object({
  recurrence: recurrenceSchema.optional(),
  timeZone: TimeZone.optional(),
  enabled: z.boolean().optional(),
});

export const RunConfigurationBody = z.object({
  jobType: z.string().trim().min(1).max(100),
  configId: z.number().int().positive().nullable(),
});

export const JobRunSchema = z.object({
  id: z.number(),
  requestId: z.string(),
  /** Only in the System console's answers. */
  tenant: z.object({ id: z.number(), slug: z.string(), name: z.string() }).nullable().optional(),
  jobType: z.string(),
  configId: z.number().nullable(),
  configName: z.string(),
  trigger: JobTriggerSchema,
  schedule: z
    .object({ id: z.number(), description: z.string(), recurrence: recurrenceSchema, timeZone: z.string() })
    .nullable(),
  status: JobStatusSchema,
  severity: Severity,
  attempt: z.number(),
  queuedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  progress: z
    .object({ done: z.number(), total: z.number().nullable(), note: z.string().optional() })
    .nullable(),
  counters: z.record(z.string(), z.number()),
  error: z.string().nullable(),
  cancelRequested: z.boolean(),
  retriedFrom: z.object({ id: z.number(), requestId: z.string() }).nullable(),
});

export const JobRunDetailSchema = z.object({
  run: JobRunSchema,
  /** The run's process-log messages, oldest first. */
  entries: z.array(ProcessLogEntrySchema),
});

export const JobRunsQuerySchema = z.object({
  jobType: z.string().trim().max(100).optional(),
  requestId: z.string().trim().max(100).optional(),
  status: JobStatusSchema.optional(),
  minSeverity: Severity.optional(),
  since: z.coerce.number().int().optional(),
  until: z.coerce.number().int().optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_JOB_RUNS_PAGE).optional(),
});

export const SystemJobRunsQuerySchema = JobRunsQuerySchema.extend({
  tenant: z.string().trim().max(100).optional(),
});

export const JobRunsPageSchema = z.object({
  runs: z.array(JobRunSchema),
  nextCursor: z.number().nullable(),
});
