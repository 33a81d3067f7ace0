import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.js';
import { NotFoundError } from '../../core/errors.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { Id } from '../schemas.js';
import {
  JobConfigurationSchema,
  JobRunDetailSchema,
  JobRunSchema,
  JobRunsPageSchema,
  JobRunsQuerySchema,
  RunConfigurationBody,
  ScheduleCreateBody,
  ScheduleSchema,
  ScheduleUpdateBody,
  SystemJobRunsQuerySchema,
} from './jobs.schemas.js';

const ScheduleParams = z.object({ scheduleId: Id });
const RunParams = z.object({ runId: Id });

/**
 * Admin Access: schedules (Admin role), what can be run (Admin), and job runs (read by Admin and
 * Auditor, started and cancelled by Admin), under /api/v1/admin. The services check the roles again
 * and scope every query by the session's tenant.
 */
export const adminJobRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant', { roles: ['admin', 'auditor'] }));
  const { schedules, runs } = app.jobs;
  const scheduleTags = ['admin: schedules'];
  const runTags = ['admin: job runs'];

  server.get(
    '/job-configurations',
    {
      schema: {
        tags: scheduleTags,
        summary: 'The configurations that can be run and scheduled (job type and configuration)',
        response: { 200: z.object({ configurations: z.array(JobConfigurationSchema) }) },
      },
    },
    async (request) => ({ configurations: await runs.configurations(authOf(request)) }),
  );

  server.get(
    '/schedules',
    {
      schema: {
        tags: scheduleTags,
        summary: 'Schedules with their next run and the outcome of their last run',
        response: { 200: z.object({ schedules: z.array(ScheduleSchema) }) },
      },
    },
    async (request) => ({ schedules: await schedules.list(authOf(request)) }),
  );
  server.post(
    '/schedules',
    {
      schema: {
        tags: scheduleTags,
        summary: 'Schedule a configuration (a once recurrence must lie at least 1 minute in the future)',
        body: ScheduleCreateBody,
        response: { 201: ScheduleSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await schedules.create(authOf(request), request.body)),
  );
  server.get(
    '/schedules/:scheduleId',
    {
      schema: {
        tags: scheduleTags,
        summary: 'One schedule',
        params: ScheduleParams,
        response: { 200: ScheduleSchema },
      },
    },
    async (request) => schedules.get(authOf(request), request.params.scheduleId),
  );
  server.patch(
    '/schedules/:scheduleId',
    {
      schema: {
        tags: scheduleTags,
        summary: 'Change the recurrence, time zone or enabled state (not what the schedule runs)',
        params: ScheduleParams,
        body: ScheduleUpdateBody,
        response: { 200: ScheduleSchema },
      },
    },
    async (request) => schedules.update(authOf(request), request.params.scheduleId, request.body),
  );
  server.delete(
    '/schedules/:scheduleId',
    {
      schema: {
        tags: scheduleTags,
        summary: 'Delete a schedule (a run it started goes on)',
        params: ScheduleParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await schedules.delete(authOf(request), request.params.scheduleId);
      return reply.code(204).send(null);
    },
  );
  server.post(
    '/schedules/:scheduleId/run',
    {
      schema: {
        tags: scheduleTags,
        summary: "Run the schedule's configuration now (skipped when a run of it is queued or running)",
        params: ScheduleParams,
        response: { 202: JobRunSchema },
      },
    },
    async (request, reply) => {
      const run = await schedules.runNow(authOf(request), request.params.scheduleId);
      return reply.code(202).send((await runs.get(authOf(request), run.id)).run);
    },
  );

  server.get(
    '/job-runs',
    {
      schema: {
        tags: runTags,
        summary: 'Job runs, newest first, with filters (Admin or Auditor)',
        querystring: JobRunsQuerySchema,
        response: { 200: JobRunsPageSchema },
      },
    },
    async (request) => runs.list(authOf(request), request.query),
  );
  server.post(
    '/job-runs',
    {
      schema: {
        tags: runTags,
        summary: 'Run a configuration now (skipped when a run of it is queued or running)',
        body: RunConfigurationBody,
        response: { 202: JobRunSchema },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await runs.runConfiguration(authOf(request), request.body)),
  );
  server.get(
    '/job-runs/:runId',
    {
      schema: {
        tags: runTags,
        summary: 'One run with its process-log messages',
        params: RunParams,
        response: { 200: JobRunDetailSchema },
      },
    },
    async (request) => runs.get(authOf(request), request.params.runId),
  );
  server.post(
    '/job-runs/:runId/cancel',
    {
      schema: {
        tags: runTags,
        summary: 'Cancel a queued run, or ask a running one to stop (Admin)',
        params: RunParams,
        response: { 200: JobRunSchema },
      },
    },
    async (request) => runs.cancel(authOf(request), request.params.runId),
  );
};

/** The System console's view of every tenant's runs, under /api/v1/system. */
export const systemJobRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'system'));
  const { runs } = app.jobs;
  const tags = ['system: job runs'];

  server.get(
    '/job-runs',
    {
      schema: {
        tags,
        summary: "All tenants' job runs, newest first; `tenant` (a slug) narrows to one tenant",
        querystring: SystemJobRunsQuerySchema,
        response: { 200: JobRunsPageSchema },
      },
    },
    async (request) => {
      const { tenant: slug, ...filters } = request.query;
      const ctx = authOf(request);
      if (slug === undefined || slug === '') return runs.listAll(ctx, filters);
      // An unknown slug is an empty list, not an error: the filter box is free text.
      const tenant = await app.tenants.findBySlug(slug).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (!tenant) return { runs: [], nextCursor: null };
      return runs.listAll(ctx, { ...filters, tenantId: tenant.id });
    },
  );
  server.get(
    '/job-runs/:runId',
    {
      schema: {
        tags,
        summary: 'One run with its process-log messages',
        params: RunParams,
        response: { 200: JobRunDetailSchema },
      },
    },
    async (request) => runs.getAny(authOf(request), request.params.runId),
  );
  server.post(
    '/job-runs/:runId/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a queued run, or ask a running one to stop',
        params: RunParams,
        response: { 200: JobRunSchema },
      },
    },
    async (request) => runs.cancelAny(authOf(request), request.params.runId),
  );
};
