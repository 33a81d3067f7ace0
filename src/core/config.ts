import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);
const booleanFlag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');
/** A mail domain: lower-cased, without a trailing dot. */
const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => v.replace(/\.$/, ''))
  .pipe(
    z
      .string()
      .regex(
        /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/,
        'expected a domain name such as journal.example.com',
      ),
  );
const listener = (defaultPort: number) =>
  z.object({ host: z.string().min(1).default('127.0.0.1'), port: port.default(defaultPort) }).prefault({});

/** The whole configuration in one schema: file values first, POSTVAULT_* environment variables on top. */
export const configSchema = z.object({
  /** Where the database, the blobs and the master key live. */
  dataDir: z.string().min(1).default('./data'),
  /** Base64 of 32 bytes; when unset the key is read from (or created in) <dataDir>/master.key. */
  masterKey: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  http: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
      /**
       * Behind a reverse proxy: trust its X-Forwarded-For / -Proto, so rate limits and the audit
       * log see the client's address. true, or a comma-separated list of proxy addresses/CIDRs.
       */
      trustProxy: z
        .union([z.boolean(), z.string()])
        .transform((v) =>
          v === true || v === 'true' ? true : v === false || v === 'false' || v === '' ? false : v,
        )
        .default(false),
      /**
       * The address browsers reach Postvault at (e.g. https://archive.example.com), for links that
       * leave the consoles: Microsoft's redirect back after "Connect Tenant". Default: the listener.
       */
      publicUrl: z.url().optional(),
    })
    .prefault({}),
  journalSmtp: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(2525),
      /** Advertised in EHLO (SIZE) and enforced: a larger message gets 552. */
      maxMessageBytes: z.coerce
        .number()
        .int()
        .min(1024)
        .default(100 * 1024 * 1024),
      /** PEM files for STARTTLS; when unset, a self-signed pair is generated into <dataDir>/tls. */
      tlsCertFile: z.string().optional(),
      tlsKeyFile: z.string().optional(),
      /** Refuse MAIL FROM until the peer has started TLS. */
      tlsRequired: booleanFlag.default(false),
      /** Open connections in total and from one peer address; more are answered 421. */
      maxConnections: z.coerce.number().int().min(1).default(200),
      maxConnectionsPerPeer: z.coerce.number().int().min(1).default(50),
      /** Messages one peer address may deliver per minute; more get 451 4.3.0 (0 = no limit). */
      maxMessagesPerPeerPerMinute: z.coerce.number().int().min(0).default(0),
      /**
       * Mail acknowledged but not yet archived (a burst, or a store failure being retried); above
       * either limit new mail gets 451 until the archive catches up.
       */
      maxBacklogMessages: z.coerce.number().int().min(1).default(50_000),
      maxBacklogMegabytes: z.coerce.number().int().min(1).default(4096),
      /** An idle connection is closed after this many seconds. */
      idleTimeoutSeconds: z.coerce.number().int().min(5).default(300),
    })
    .prefault({}),
  journal: z
    .object({
      /** The domain of journal endpoint addresses (`<token>@<domain>`); its MX must reach the intake. */
      domain: domainName.default('journal.localhost'),
    })
    .prefault({}),
  microsoft: z
    .object({
      /** Entra ID and Graph base URLs; tests point them at local fakes (shared/contracts). */
      loginUrl: z.url().default('https://login.microsoftonline.com'),
      graphUrl: z.url().default('https://graph.microsoft.com/v1.0'),
      /**
       * Postvault's own multi-tenant app registration, used by "Connect Tenant" (admin consent) for
       * tenants that send through a Microsoft 365 mailbox. Unset: that option is unavailable.
       */
      clientId: z.string().trim().optional(),
      clientSecret: z.string().optional(),
    })
    .prefault({}),
  sending: z
    .object({
      /** Extra CA certificates (PEM file) trusted for outgoing SMTP TLS, e.g. an internal CA. */
      caFile: z.string().optional(),
      /**
       * Let tenants' own SMTP servers be in private networks (loopback, RFC 1918, link-local, ULA).
       * Off: a tenant admin cannot make Postvault talk to the hosting provider's internal hosts.
       */
      allowPrivateTenantHosts: booleanFlag.default(false),
    })
    .prefault({}),
  jobs: z
    .object({
      /** Finished job runs and process-log entries older than this many days are deleted. */
      retentionDays: z.coerce.number().int().min(1).max(36_500).default(90),
    })
    .prefault({}),
  /** The gateway mailboxes' SMTP intake (encrypted holding mailboxes, src/gateway). */
  gatewaySmtp: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(2526),
      /** Advertised in EHLO (SIZE) and enforced: a larger message gets 552. */
      maxMessageBytes: z.coerce
        .number()
        .int()
        .min(1024)
        .default(100 * 1024 * 1024),
      /** PEM files for STARTTLS (and the POP3 listener's STLS); else a self-signed pair in <dataDir>/tls. */
      tlsCertFile: z.string().optional(),
      tlsKeyFile: z.string().optional(),
    })
    .prefault({}),
  /** POP3 (RFC 1939, STLS) for taking mail out of gateway mailboxes with their password. */
  gatewayPop3: listener(1110),
  /** POP3 over TLS from the first byte (pop3s://); off unless a port is given (e.g. 1995). */
  gatewayPop3s: listener(0),
  gateway: z
    .object({
      /** The domain of gateway mailbox addresses (`<random>@<domain>`); its MX must reach the intake. */
      domain: domainName.default('gateway.localhost'),
    })
    .prefault({}),
  /** Worker threads that parse, compress and encrypt during ingest. */
  workers: z.coerce.number().int().min(0).max(64).default(Math.max(1, availableParallelism())),
  /** MIME leaf parts at least this large (encoded bytes) are stored once per tenant. */
  partThreshold: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024),
  auth: z
    .object({
      /** A session ends after this long without a request… */
      sessionIdleMinutes: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(30),
      /** …and in any case this long after sign-in. */
      sessionMaxHours: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 30)
        .default(12),
      /** Mark cookies Secure. Turn on behind TLS; requests that arrive over https get it anyway. */
      secureCookies: booleanFlag.default(false),
      /** Password for the first system administrator (`admin`); printed once when generated instead. */
      firstSystemAdminPassword: z.string().min(10).optional(),
      /** Password for the first gateway administrator (`admin` of /gateway); printed once when generated. */
      firstGatewayAdminPassword: z.string().min(10).optional(),
    })
    .prefault({}),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Environment variable → path in the schema. Listed here so `--help` and docs can show them. */
export const environmentVariables: Record<string, string[]> = {
  POSTVAULT_DATA_DIR: ['dataDir'],
  POSTVAULT_MASTER_KEY: ['masterKey'],
  POSTVAULT_LOG_LEVEL: ['logLevel'],
  POSTVAULT_HTTP_HOST: ['http', 'host'],
  POSTVAULT_HTTP_PORT: ['http', 'port'],
  POSTVAULT_TRUST_PROXY: ['http', 'trustProxy'],
  POSTVAULT_JOURNAL_SMTP_HOST: ['journalSmtp', 'host'],
  POSTVAULT_JOURNAL_SMTP_PORT: ['journalSmtp', 'port'],
  POSTVAULT_JOURNAL_SMTP_MAX_MESSAGE_BYTES: ['journalSmtp', 'maxMessageBytes'],
  POSTVAULT_JOURNAL_SMTP_TLS_CERT: ['journalSmtp', 'tlsCertFile'],
  POSTVAULT_JOURNAL_SMTP_TLS_KEY: ['journalSmtp', 'tlsKeyFile'],
  POSTVAULT_JOURNAL_SMTP_TLS_REQUIRED: ['journalSmtp', 'tlsRequired'],
  POSTVAULT_JOURNAL_SMTP_MAX_CONNECTIONS: ['journalSmtp', 'maxConnections'],
  POSTVAULT_JOURNAL_SMTP_MAX_CONNECTIONS_PER_PEER: ['journalSmtp', 'maxConnectionsPerPeer'],
  POSTVAULT_JOURNAL_SMTP_MAX_MESSAGES_PER_PEER_PER_MINUTE: ['journalSmtp', 'maxMessagesPerPeerPerMinute'],
  POSTVAULT_JOURNAL_SMTP_IDLE_TIMEOUT: ['journalSmtp', 'idleTimeoutSeconds'],
  POSTVAULT_JOURNAL_MAX_BACKLOG_MESSAGES: ['journalSmtp', 'maxBacklogMessages'],
  POSTVAULT_JOURNAL_MAX_BACKLOG_MB: ['journalSmtp', 'maxBacklogMegabytes'],
  POSTVAULT_JOURNAL_DOMAIN: ['journal', 'domain'],
  POSTVAULT_PUBLIC_URL: ['http', 'publicUrl'],
  POSTVAULT_MICROSOFT_LOGIN_URL: ['microsoft', 'loginUrl'],
  POSTVAULT_MICROSOFT_GRAPH_URL: ['microsoft', 'graphUrl'],
  POSTVAULT_MICROSOFT_CLIENT_ID: ['microsoft', 'clientId'],
  POSTVAULT_MICROSOFT_CLIENT_SECRET: ['microsoft', 'clientSecret'],
  POSTVAULT_SMTP_CA_FILE: ['sending', 'caFile'],
  POSTVAULT_SENDING_ALLOW_PRIVATE_HOSTS: ['sending', 'allowPrivateTenantHosts'],
  POSTVAULT_PROCESS_LOG_RETENTION_DAYS: ['jobs', 'retentionDays'],
  POSTVAULT_GATEWAY_SMTP_HOST: ['gatewaySmtp', 'host'],
  POSTVAULT_GATEWAY_SMTP_PORT: ['gatewaySmtp', 'port'],
  POSTVAULT_GATEWAY_POP3_HOST: ['gatewayPop3', 'host'],
  POSTVAULT_GATEWAY_SMTP_MAX_MESSAGE_BYTES: ['gatewaySmtp', 'maxMessageBytes'],
  POSTVAULT_GATEWAY_SMTP_TLS_CERT: ['gatewaySmtp', 'tlsCertFile'],
  POSTVAULT_GATEWAY_SMTP_TLS_KEY: ['gatewaySmtp', 'tlsKeyFile'],
  POSTVAULT_GATEWAY_POP3_PORT: ['gatewayPop3', 'port'],
  POSTVAULT_GATEWAY_POP3S_HOST: ['gatewayPop3s', 'host'],
  POSTVAULT_GATEWAY_POP3S_PORT: ['gatewayPop3s', 'port'],
  POSTVAULT_GATEWAY_DOMAIN: ['gateway', 'domain'],
  POSTVAULT_WORKERS: ['workers'],
  POSTVAULT_PART_THRESHOLD: ['partThreshold'],
  POSTVAULT_SESSION_IDLE_MINUTES: ['auth', 'sessionIdleMinutes'],
  POSTVAULT_SESSION_MAX_HOURS: ['auth', 'sessionMaxHours'],
  POSTVAULT_SECURE_COOKIES: ['auth', 'secureCookies'],
  POSTVAULT_SYSTEM_ADMIN_PASSWORD: ['auth', 'firstSystemAdminPassword'],
  POSTVAULT_GATEWAY_ADMIN_PASSWORD: ['auth', 'firstGatewayAdminPassword'],
};

function setPath(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = typeof next === 'object' && next !== null ? next : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Parses the configuration once; the result is frozen and passed down explicitly, so no module
 * reads process.env on its own.
 */
export function loadConfig(
  options: { env?: NodeJS.ProcessEnv; configFile?: string; cwd?: string } = {},
): Config {
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  if (options.configFile) {
    try {
      raw = JSON.parse(readFileSync(options.configFile, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ValidationError(`cannot read config file ${options.configFile}: ${(error as Error).message}`);
    }
  }
  for (const [name, path] of Object.entries(environmentVariables)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ValidationError(`invalid configuration: ${problems.join('; ')}`);
  }
  const config = { ...parsed.data, dataDir: resolve(options.cwd ?? process.cwd(), parsed.data.dataDir) };
  return Object.freeze(config);
}
