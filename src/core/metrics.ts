import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The installation's Prometheus metrics, one registry per app (tests open several apps in one
 * process). Capabilities receive the counters they feed; /metrics renders the registry.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'postvault_process_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'postvault_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'postvault_http_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ingestMessages: new Counter({
      name: 'postvault_ingest_messages_total',
      help: 'Messages offered to the archive, by outcome (archived, copy, duplicate, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    smtpTransactions: new Counter({
      name: 'postvault_smtp_transactions_total',
      help: 'SMTP intake transactions by listener and outcome (stored, unknown-recipient, too-large, store-failed, ...)',
      labelNames: ['listener', 'outcome'] as const,
      registers: [registry],
    }),
    journalBacklog: new Gauge({
      name: 'postvault_journal_backlog_messages',
      help: 'Journal messages acknowledged (250) and waiting to be archived',
      registers: [registry],
    }),
    ingestBytes: new Counter({
      name: 'postvault_ingest_bytes_total',
      help: 'Raw bytes of messages newly archived',
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'postvault_jobs_total',
      help: 'Jobs finished, by kind and status',
      labelNames: ['kind', 'status'] as const,
      registers: [registry],
    }),
    jobsRunning: new Gauge({
      name: 'postvault_jobs_running',
      help: 'Jobs running now',
      registers: [registry],
    }),
    signIns: new Counter({
      name: 'postvault_sign_ins_total',
      help: 'Sign-in attempts, by realm and outcome',
      labelNames: ['realm', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
