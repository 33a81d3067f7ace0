import { z } from 'zod';
import { MAX_PROCESS_LOG_PAGE } from '../../jobs/process-log.service.js';

/** Admin Access's process log shapes (docs/api-contract.md, "Process log"). */
export const Severity = z.enum(['info', 'warning', 'error']);

export const ProcessLogQuerySchema = z.object({
  process: z.string().trim().max(100).optional(),
  minSeverity: Severity.optional(),
  since: z.coerce.number().int().optional(),
  until: z.coerce.number().int().optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PROCESS_LOG_PAGE).optional(),
});

export const ProcessLogEntrySchema = z.object({
  id: z.number(),
  at: z.number(),
  process: z.string(),
  subjectId: z.number().nullable(),
  subjectName: z.string(),
  severity: Severity,
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  /** The job run that wrote it (GET /api/v1/admin/job-runs/:runId), or null. */
  runId: z.number().nullable(),
});

export const ProcessLogPageSchema = z.object({
  entries: z.array(ProcessLogEntrySchema),
  nextCursor: z.number().nullable(),
});
