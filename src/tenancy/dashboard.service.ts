import { NotFoundError } from '../core/errors.js';
import type { Tenant } from '../db/schema.js';
import { requireRole, type AuthContext } from './access.js';
import { DAY_MS, type DashboardRepository } from './dashboard.repository.js';
import type { GroupsRepository } from './groups.repository.js';
import type { TenantUsage, TenantUsageRepository } from './tenant-usage.repository.js';
import type { UsersRepository } from './users.repository.js';

export interface VolumeFigures {
  messages: number;
  /** Original size of the archived messages. */
  bytes: number;
}

export type InconsistencyCode =
  | 'ONLY_PROVISIONED_ADMIN'
  | 'GROUP_WITHOUT_ROLES'
  | 'USER_WITHOUT_READER'
  | 'MORE_GROUPS_WITHOUT_ROLES'
  | 'MORE_USERS_WITHOUT_READER'
  | 'JOURNAL_ENDPOINT_SILENT'
  | 'STORAGE_ABOVE_90';

export interface Inconsistency {
  code: InconsistencyCode;
  params: Record<string, string | number>;
  /** Where to fix it, in the Admin Access app. */
  link: string;
}

/** Admin Access's `Dashboard`. */
export interface Dashboard {
  tenant: { id: number; slug: string; name: string; status: Tenant['status'] };
  quotas: { maxUsers: number | null; maxMailboxes: number | null; maxStorageBytes: number | null };
  usage: TenantUsage;
  counts: { users: number; groups: number; mailboxes: number; messages: number };
  volume: {
    last24h: VolumeFigures;
    last30d: VolumeFigures;
    allTime: VolumeFigures;
    /** The last 30 UTC days, today included, oldest first; days without messages are zeros. */
    daily: Array<{ day: string } & VolumeFigures>;
  };
  /** Job runs running now and failed in the last 24 hours (Process Log links). */
  jobs: { running: number; failed24h: number };
  inconsistencies: Inconsistency[];
}

/**
 * Journal endpoints that received nothing since a time. The journal-endpoint capability supplies it
 * when it lands; until then the dashboard reports no silent endpoint.
 */
export interface JournalEndpointMonitor {
  silentEndpoints(tenantId: number, sinceMs: number): Promise<Array<{ id: number; name: string }>>;
}

export interface DashboardServiceDeps {
  tenants: Pick<TenantUsageRepository, 'findTenant' | 'usageOf'>;
  volume: Pick<DashboardRepository, 'volumeSince' | 'dailyVolume'>;
  users: Pick<UsersRepository, 'findDetails'>;
  groups: Pick<GroupsRepository, 'findDetails'>;
  journalEndpoints?: JournalEndpointMonitor;
  jobs: { dashboardCounts(tenantId: number, since: number): Promise<{ running: number; failed: number }> };
  clock?: () => number;
}

/** A journal endpoint that received nothing for this long is reported as silent. */
export const JOURNAL_SILENCE_MS = DAY_MS;
const DAILY_DAYS = 30;
const STORAGE_WARNING_RATIO = 0.9;

/** The Admin Access start page: tenant, quotas and usage, archived volume, and what needs attention. */
/** A synchronized directory can hold thousands of users: list a few of each kind, count the rest. */
export const LISTED_PER_KIND = 10;

export class DashboardService {
  private readonly clock: () => number;

  constructor(private readonly deps: DashboardServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async get(ctx: AuthContext): Promise<Dashboard> {
    requireRole(ctx, 'admin', 'reading the dashboard');
    const { tenantId } = ctx;
    const now = this.clock();
    const tenant = await this.deps.tenants.findTenant(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    const firstDay = Math.floor(now / DAY_MS) - (DAILY_DAYS - 1);
    const [usage, last24h, last30d, allTime, dailyRows, users, groups, silent, jobs] = await Promise.all([
      this.deps.tenants.usageOf(tenantId),
      this.deps.volume.volumeSince(tenantId, now - DAY_MS),
      // The same 30 UTC days as the chart, so the figure is the sum of its bars.
      this.deps.volume.volumeSince(tenantId, firstDay * DAY_MS),
      this.deps.volume.volumeSince(tenantId, null),
      this.deps.volume.dailyVolume(tenantId, firstDay * DAY_MS),
      this.deps.users.findDetails(tenantId),
      this.deps.groups.findDetails(tenantId),
      this.deps.journalEndpoints?.silentEndpoints(tenantId, now - JOURNAL_SILENCE_MS) ?? Promise.resolve([]),
      this.deps.jobs.dashboardCounts(tenantId, now - DAY_MS),
    ]);
    const byDay = new Map(dailyRows.map((r) => [r.day, r]));
    const daily = Array.from({ length: DAILY_DAYS }, (_, i) => {
      const day = firstDay + i;
      return {
        day: new Date(day * DAY_MS).toISOString().slice(0, 10),
        messages: byDay.get(day)?.messages ?? 0,
        bytes: byDay.get(day)?.bytes ?? 0,
      };
    });

    const inconsistencies: Inconsistency[] = [];
    const enabledUsers = users.filter((u) => u.user.disabled === 0);
    const admins = enabledUsers.filter((u) => u.roles.includes('admin'));
    if (admins.length === 1 && admins[0]!.user.provisioned === 1) {
      inconsistencies.push({ code: 'ONLY_PROVISIONED_ADMIN', params: {}, link: '/adminaccess/groups' });
    }
    const groupsWithoutRoles = groups.filter((g) => g.roles.length === 0);
    for (const { group } of groupsWithoutRoles.slice(0, LISTED_PER_KIND)) {
      inconsistencies.push({
        code: 'GROUP_WITHOUT_ROLES',
        params: { groupId: group.id, groupName: group.name },
        link: `/adminaccess/groups/${group.id}`,
      });
    }
    if (groupsWithoutRoles.length > LISTED_PER_KIND) {
      inconsistencies.push({
        code: 'MORE_GROUPS_WITHOUT_ROLES',
        params: { count: groupsWithoutRoles.length - LISTED_PER_KIND },
        link: '/adminaccess/groups',
      });
    }
    const usersWithoutReader = enabledUsers.filter((u) => !u.roles.includes('reader'));
    for (const { user } of usersWithoutReader.slice(0, LISTED_PER_KIND)) {
      inconsistencies.push({
        code: 'USER_WITHOUT_READER',
        params: { userId: user.id, login: `${user.name}@${tenant.slug}` },
        link: `/adminaccess/users/${user.id}`,
      });
    }
    if (usersWithoutReader.length > LISTED_PER_KIND) {
      inconsistencies.push({
        code: 'MORE_USERS_WITHOUT_READER',
        params: { count: usersWithoutReader.length - LISTED_PER_KIND },
        link: '/adminaccess/users',
      });
    }
    for (const endpoint of silent) {
      inconsistencies.push({
        code: 'JOURNAL_ENDPOINT_SILENT',
        params: { endpointId: endpoint.id, name: endpoint.name },
        link: `/adminaccess/journal-endpoints/${endpoint.id}`,
      });
    }
    const maxStorage = tenant.max_storage_bytes;
    if (maxStorage !== null && usage.storageBytes > STORAGE_WARNING_RATIO * maxStorage) {
      const percent = maxStorage > 0 ? Math.round((usage.storageBytes / maxStorage) * 1000) / 10 : 100;
      inconsistencies.push({ code: 'STORAGE_ABOVE_90', params: { percent }, link: '/adminaccess' });
    }

    return {
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status },
      quotas: {
        maxUsers: tenant.max_users,
        maxMailboxes: tenant.max_mailboxes,
        maxStorageBytes: tenant.max_storage_bytes,
      },
      usage,
      counts: {
        users: usage.users,
        groups: groups.length,
        mailboxes: usage.mailboxes,
        messages: usage.messages,
      },
      volume: { last24h, last30d, allTime, daily },
      jobs: { running: jobs.running, failed24h: jobs.failed },
      inconsistencies,
    };
  }
}
