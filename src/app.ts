import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveRepository } from './archive/archive.repository.js';
import { ArchiveService } from './archive/archive.service.js';
import { createPreparer } from './archive/preparer.js';
import type { Config } from './core/config.js';
import { KeyError } from './core/errors.js';
import { loadOrCreateMasterKey } from './core/keys.js';
import {
  completeMasterKeyRotation,
  hasPendingMasterKey,
  NEXT_MASTER_KEY_FILE,
} from './core/master-key-rotation.js';
import { createLogger, type Logger } from './core/logger.js';
import { openDatabase, type OpenedDatabase } from './db/database.js';
import { SearchService } from './search/search.service.js';
import { FsBlobStore, type FsBlobStoreFaults } from './store/fs-blob-store.js';
import { TenantRepository } from './tenancy/tenant.repository.js';
import { TenantService } from './tenancy/tenant.service.js';
import { AuditLogRepository } from './compliance/audit-log.repository.js';
import { AuditLogService } from './compliance/audit-log.service.js';
import { createMetrics, type Metrics } from './core/metrics.js';
import { AuthService } from './tenancy/auth.service.js';
import { IdentityRepository } from './tenancy/identity.repository.js';
import { ConsoleAdminService } from './tenancy/console-admins.service.js';
import { TenantManagementService } from './tenancy/tenant-management.service.js';
import { TenantUsageRepository } from './tenancy/tenant-usage.repository.js';
import { MailboxAdminRepository } from './archive/mailbox-admin.repository.js';
import { MailboxAdminService } from './archive/mailbox-admin.service.js';
import { DashboardRepository } from './tenancy/dashboard.repository.js';
import { DashboardService } from './tenancy/dashboard.service.js';
import { DomainsRepository } from './tenancy/domains.repository.js';
import { DomainsService } from './tenancy/domains.service.js';
import { GroupsRepository } from './tenancy/groups.repository.js';
import { GroupsService } from './tenancy/groups.service.js';
import { SecretsRepository } from './tenancy/secrets.repository.js';
import { SecretsService } from './tenancy/secrets.service.js';
import { UsersRepository } from './tenancy/users.repository.js';
import { UsersService } from './tenancy/users.service.js';
import { JournalEndpointsRepository } from './ingest/journal/journal-endpoints.repository.js';
import { JournalIntake } from './ingest/journal/journal-intake.js';
import { JournalSpool } from './ingest/journal/journal-spool.js';
import { ProcessLogRepository } from './jobs/process-log.repository.js';
import { ProcessLogService } from './jobs/process-log.service.js';
import {
  JournalEndpointsService,
  journalEndpointMailboxUsage,
} from './ingest/journal/journal-endpoints.service.js';
import {
  INTEGRITY_CHECK,
  integrityCheckConfigurations,
  integrityCheckJob,
} from './compliance/integrity-check.job.js';
import { JobQueue } from './jobs/job-queue.js';
import { JobRunsRepository } from './jobs/job-runs.repository.js';
import { JobRunsService } from './jobs/job-runs.service.js';
import { Scheduler, type JobConfigurations } from './jobs/scheduler.js';
import { SchedulesRepository } from './jobs/schedules.repository.js';
import { SchedulesService } from './jobs/schedules.service.js';
import { MessageAccess } from './archive/message-access.js';
import { ExportService } from './archive/export.service.js';
import { WebAccessService } from './archive/web-access.service.js';
import { GraphClient } from './sending/graph-mail.transport.js';
import { MailSettingsRepository } from './sending/mail-settings.repository.js';
import { MailSettingsService } from './sending/mail-settings.service.js';
import { Microsoft365ConnectService } from './sending/microsoft365-connect.service.js';
import { OutgoingMail } from './sending/outgoing-mail.queue.js';
import { OutgoingMailRepository } from './sending/outgoing-mail.repository.js';
import { SendingService } from './sending/sending.service.js';
import { hostname } from 'node:os';
import { POSTVAULT_VERSION } from './core/version.js';
import type { Argon2idParams } from './gateway/gateway-crypto.js';
import { createGatewayKeys, type GatewayKeys } from './gateway/gateway-keys.js';
import { GatewayMessageStore, type RecoveryReport } from './gateway/gateway-message-store.js';
import { GatewayRepository } from './gateway/gateway.repository.js';
import { GatewayService } from './gateway/gateway.service.js';
import { PasswordThrottle } from './gateway/password-throttle.js';

/** Everything a face of Postvault needs, wired once. The only place that picks implementations. */
export interface App {
  config: Config;
  logger: Logger;
  database: OpenedDatabase;
  tenants: TenantService;
  archive: ArchiveService;
  search: SearchService;
  metrics: Metrics;
  audit: AuditLogService;
  auth: AuthService;
  systemAdmins: ConsoleAdminService;
  /** The Gateway console's accounts (realm 'gateway'). */
  gatewayAdmins: ConsoleAdminService;
  tenantManagement: TenantManagementService;
  /** What Admin Access configures; every method takes the tenant context first. */
  admin: {
    users: UsersService;
    groups: GroupsService;
    domains: DomainsService;
    mailboxes: MailboxAdminService;
    secrets: SecretsService;
    dashboard: DashboardService;
    /** Also the SMTP intake's lookup (findEnabledByAddress) and counter (recordReceived). */
    journalEndpoints: JournalEndpointsService;
    /** Reading the process log (Admin and Auditor); the processes write through `App['processLog']`. */
    processLog: ProcessLogService;
  };
  /** What the journal SMTP listener hands messages to (src/ingest/journal/journal-smtp.server.ts). */
  journalIntake: JournalIntake;
  processLog: ProcessLogRepository;
  /** Schedules, the job queue and its runner; `serve` starts them. */
  jobs: Jobs;
  /** Mail sending: settings (system and tenant), the outgoing queue, what Postvault sends. */
  sending: Sending;
  /** Gateway mailboxes: the service the CLI, the consoles and the SMTP and POP3 listeners call. */
  gateway: Gateway;
  /** What end users read in Web Access, and their exports. */
  webAccess: { service: WebAccessService; exports: ExportService };
  /** Where browsers reach Postvault: http.publicUrl, else the listener (set when it listens). */
  publicUrl(): string;
  setListeningUrl(url: string): void;
  masterKey: Buffer;
  close(): Promise<void>;
}

export interface Jobs {
  queue: JobQueue;
  scheduler: Scheduler;
  /** Admin Access → Archiving → Schedules. */
  schedules: SchedulesService;
  /** Process Log runs (Admin Access) and all runs (System console). */
  runs: JobRunsService;
  /** Recovers what a dead process left running, then runs queued jobs and due schedules. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Gateway {
  service: GatewayService;
  store: GatewayMessageStore;
  keys: GatewayKeys;
  /**
   * Start-up recovery, when nothing else writes there: closes every segment, removes temp files and
   * files without rows, cuts segments back to their last recorded message.
   */
  cleanup(): Promise<RecoveryReport>;
}

/** Failed POP3 logins (and resets with a wrong password) a peer or a mailbox may make per window. */
const GATEWAY_PASSWORD_LIMITS = { maxFailures: 10, windowMs: 15 * 60_000 };

function openGateway(
  database: OpenedDatabase,
  deps: {
    config: Config;
    audit: AuditLogService;
    threads: number;
    kdfParams?: Argon2idParams;
    failedLoginDelayMs?: number;
    beforeWrite?: (tempPath: string) => void | Promise<void>;
  },
): Gateway {
  const repository = new GatewayRepository(database.db);
  const store = new GatewayMessageStore(deps.config.dataDir, { beforeWrite: deps.beforeWrite });
  // One thread: each unlock holds a 128 MiB Argon2id heap, and logins are rare.
  const keys = createGatewayKeys({ threads: Math.min(1, deps.threads), params: deps.kdfParams });
  const service = new GatewayService({
    repository,
    store,
    keys,
    audit: deps.audit,
    domain: deps.config.gateway.domain,
    throttle: new PasswordThrottle(GATEWAY_PASSWORD_LIMITS),
    failedLoginDelayMs: deps.failedLoginDelayMs,
  });
  return {
    service,
    store,
    keys,
    cleanup: async () => {
      await service.flushIntake();
      const report = await store.recover(await repository.closeSegmentsAndFindStored());
      if (report.recovered.length > 0) await repository.recordRecovered(report.recovered);
      if (report.goneSegments.length > 0) await repository.deleteSegmentRows(report.goneSegments);
      return report;
    },
  };
}

export interface Sending {
  settings: MailSettingsService;
  outgoing: OutgoingMail;
  service: SendingService;
  microsoft365: Microsoft365ConnectService;
}

function openSending(
  database: OpenedDatabase,
  deps: {
    config: Config;
    tenants: TenantService;
    masterKey: Buffer;
    archive: ArchiveService;
    audit: AuditLogService;
    logger: Logger;
    publicUrl: () => string;
  },
): Sending {
  const { config, tenants, masterKey, audit, logger } = deps;
  const db = database.db;
  const microsoft = config.microsoft;
  const app =
    microsoft.clientId && microsoft.clientSecret
      ? { clientId: microsoft.clientId, clientSecret: microsoft.clientSecret }
      : undefined;
  const settings = new MailSettingsService({
    settings: new MailSettingsRepository(db),
    tenants,
    masterKey,
    app,
    allowPrivateTenantHosts: config.sending.allowPrivateTenantHosts,
    audit,
  });
  const graph = new GraphClient({ loginUrl: microsoft.loginUrl, graphUrl: microsoft.graphUrl });
  const outgoing = new OutgoingMail({
    repository: new OutgoingMailRepository(db),
    settings,
    tenants,
    masterKey,
    graph,
    processLog: new ProcessLogRepository(db),
    logger,
    ca: config.sending.caFile ? readFileSync(config.sending.caFile, 'utf8') : undefined,
    allowPrivateTenantHosts: config.sending.allowPrivateTenantHosts,
    hostname: hostname(),
  });
  return {
    settings,
    outgoing,
    service: new SendingService({
      outgoing,
      settings,
      archive: deps.archive,
      access: new MessageAccess(db),
      tenants,
      usage: new TenantUsageRepository(db),
      db,
      audit,
      version: POSTVAULT_VERSION,
    }),
    microsoft365: new Microsoft365ConnectService({
      db,
      graph,
      settings,
      app,
      publicUrl: deps.publicUrl,
      audit,
    }),
  };
}

/**
 * The runnable job types: each capability contributes a handler and its configurations. Directory
 * sync, archiving profiles and folder synchronizations join this list as they land.
 */
function openJobs(
  database: OpenedDatabase,
  {
    config,
    archive,
    tenants,
    audit,
    logger,
    metrics,
  }: {
    config: Config;
    archive: ArchiveService;
    tenants: TenantRepository;
    audit: AuditLogService;
    logger: Logger;
    metrics: Metrics;
  },
): Jobs {
  const db = database.db;
  const runs = new JobRunsRepository(db);
  const schedules = new SchedulesRepository(db);
  const processLog = new ProcessLogRepository(db);
  const queue = new JobQueue({ runs, processLog, logger, metrics });
  queue.register(integrityCheckJob(archive));
  const types = new Map<string, JobConfigurations>([[INTEGRITY_CHECK, integrityCheckConfigurations]]);
  const configurations = (type: string) => types.get(type);
  const scheduler = new Scheduler({
    schedules,
    queue,
    runs,
    configurations,
    logger,
    retentionDays: config.jobs.retentionDays,
  });
  return {
    queue,
    scheduler,
    schedules: new SchedulesService({
      schedules,
      runs,
      queue,
      poke: () => scheduler.poke(),
      configurations,
      audit,
    }),
    runs: new JobRunsService({
      runs,
      processLog,
      schedules,
      queue,
      configurations,
      configurationTypes: () => [...types.values()],
      tenants,
      audit,
    }),
    async start() {
      await queue.start();
      scheduler.start();
    },
    async stop() {
      await scheduler.stop();
      await queue.stop();
    },
  };
}

async function openTenantKeys(config: Config, database: OpenedDatabase) {
  const repository = new TenantRepository(database.db);
  const masterKey = loadOrCreateMasterKey(config.dataDir, config.masterKey);
  const tenants = new TenantService(repository, masterKey);
  try {
    await tenants.checkMasterKey();
    return { masterKey, tenants };
  } catch (error) {
    // A rotation that re-wrapped the keys but crashed before replacing master.key: finish it.
    if (!(error instanceof KeyError) || config.masterKey || !hasPendingMasterKey(config.dataDir)) throw error;
    const pending = loadOrCreateMasterKey(
      config.dataDir,
      readFileSync(join(config.dataDir, NEXT_MASTER_KEY_FILE), 'utf8').trim(),
    );
    const recovered = new TenantService(repository, pending);
    await recovered.checkMasterKey();
    completeMasterKeyRotation(config.dataDir);
    return { masterKey: pending, tenants: recovered };
  }
}

function openAdministration(
  database: OpenedDatabase,
  { config, tenants, audit }: { config: Config; tenants: TenantService; audit: AuditLogService },
): App['admin'] {
  const db = database.db;
  const users = new UsersRepository(db);
  const groups = new GroupsRepository(db);
  const tenantUsage = new TenantUsageRepository(db);
  const journalRepository = new JournalEndpointsRepository(db);
  const mailboxes = new MailboxAdminService({
    mailboxes: new MailboxAdminRepository(db),
    users,
    groups,
    tenants: tenantUsage,
    usages: [journalEndpointMailboxUsage(journalRepository)],
    audit,
  });
  const journalEndpoints = new JournalEndpointsService({
    endpoints: journalRepository,
    mailboxes,
    audit,
    journalDomain: config.journal.domain,
  });
  return {
    users: new UsersService({ users, tenants: tenantUsage, audit }),
    groups: new GroupsService({ groups, users, tenants: tenantUsage, audit }),
    domains: new DomainsService({ domains: new DomainsRepository(db), audit }),
    mailboxes,
    // Directory services and archiving profiles register here as they learn to use secrets.
    secrets: new SecretsService({ secrets: new SecretsRepository(db), keys: tenants, usages: [], audit }),
    dashboard: new DashboardService({
      tenants: tenantUsage,
      volume: new DashboardRepository(db),
      users,
      groups,
      journalEndpoints,
      jobs: new JobRunsRepository(db),
    }),
    journalEndpoints,
    processLog: new ProcessLogService(new ProcessLogRepository(db)),
  };
}

export async function openApp(
  config: Config,
  options: {
    workers?: number;
    logger?: Logger;
    blobFaults?: FsBlobStoreFaults;
    /** Cheaper Argon2id for tests; the defaults of gateway-crypto.ts otherwise. */
    gatewayKdfParams?: Argon2idParams;
    gatewayFailedLoginDelayMs?: number;
  } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase(join(config.dataDir, 'postvault.sqlite'));
  let masterKey: Buffer;
  let tenants: TenantService;
  try {
    // A wrong master key must stop us here with a clear message, not produce garbage later.
    ({ masterKey, tenants } = await openTenantKeys(config, database));
    await tenants.ensureDefaultTenant();
  } catch (error) {
    await database.db.destroy();
    throw error;
  }
  const blobs = new FsBlobStore(config.dataDir, { faults: options.blobFaults });
  // Only stale temp files: another process (serve, an import) may be writing right now.
  await blobs.cleanup({ olderThanMs: 60 * 60_000 });
  const preparer = createPreparer(options.workers ?? config.workers);
  const metrics = createMetrics();
  const repository = new ArchiveRepository(database.db);
  const archive = new ArchiveService({
    repository,
    blobs,
    tenants,
    preparer,
    partThreshold: config.partThreshold,
    metrics,
  });
  const search = new SearchService(database.db, archive);
  const audit = new AuditLogService(new AuditLogRepository(database.db));
  const identities = new IdentityRepository(database.db);
  const auth = new AuthService({
    identities,
    tenants,
    audit,
    masterKey,
    settings: {
      sessionIdleMs: config.auth.sessionIdleMinutes * 60_000,
      sessionMaxMs: config.auth.sessionMaxHours * 3_600_000,
    },
  });
  const admin = openAdministration(database, { config, tenants, audit });
  let listeningUrl = `http://${config.http.host}:${config.http.port}`;
  const publicUrl = () => (config.http.publicUrl ?? listeningUrl).replace(/\/$/, '');
  const sending = openSending(database, { config, tenants, masterKey, archive, audit, logger, publicUrl });
  const tenantManagement = new TenantManagementService({
    tenants,
    repository: new TenantRepository(database.db),
    provisioner: admin.users,
    usage: new TenantUsageRepository(database.db),
    audit,
    deleteTenantBlobs: (tenantId) => blobs.deleteTenant(tenantId),
    tenantChanged: () => admin.journalEndpoints.forgetCachedAddresses(),
    mailCredentials: async (ctx, tenantId, to, credentials) => {
      await sending.service.sendCredentials(ctx, tenantId, to, {
        ...credentials,
        url: `${publicUrl()}/adminaccess`,
      });
    },
  });
  const processLog = new ProcessLogRepository(database.db);
  const journalIntake = new JournalIntake({
    archive,
    tenants,
    spool: new JournalSpool(config.dataDir, database.db, {
      beforeWrite:
        options.blobFaults?.beforeWrite &&
        ((temp) => options.blobFaults!.beforeWrite!(temp, 'journal-spool')),
    }),
    endpoints: new JournalEndpointsRepository(database.db),
    processLog,
    runs: new JobRunsRepository(database.db),
    logger,
    metrics,
    limits: {
      maxBacklogMessages: config.journalSmtp.maxBacklogMessages,
      maxBacklogBytes: config.journalSmtp.maxBacklogMegabytes * 1024 * 1024,
    },
  });
  const gateway = openGateway(database, {
    config,
    audit,
    threads: options.workers ?? config.workers,
    kdfParams: options.gatewayKdfParams,
    failedLoginDelayMs: options.gatewayFailedLoginDelayMs,
    beforeWrite:
      options.blobFaults?.beforeWrite && ((temp) => options.blobFaults!.beforeWrite!(temp, 'gateway')),
  });
  const webAccess = new WebAccessService({
    db: database.db,
    archive,
    search,
    access: new MessageAccess(database.db),
    audit,
  });
  const exports = new ExportService({ db: database.db, archive, search, webAccess });
  const jobs = openJobs(database, {
    config,
    archive,
    tenants: new TenantRepository(database.db),
    audit,
    logger,
    metrics,
  });
  return {
    config,
    logger,
    database,
    tenants,
    archive,
    search,
    metrics,
    audit,
    auth,
    systemAdmins: new ConsoleAdminService('system', identities, audit),
    gatewayAdmins: new ConsoleAdminService('gateway', identities, audit),
    tenantManagement,
    admin,
    journalIntake,
    processLog,
    jobs,
    sending,
    gateway,
    webAccess: { service: webAccess, exports },
    publicUrl,
    setListeningUrl(url) {
      listeningUrl = url;
    },
    masterKey,
    async close() {
      await jobs.stop();
      await sending.outgoing.stop();
      await journalIntake.stop();
      await gateway.keys.close();
      await gateway.service.flushIntake().catch(() => undefined);
      await gateway.store.close();
      await preparer.close();
      await database.db.destroy();
    },
  };
}
