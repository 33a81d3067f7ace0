/**
 * Graph's directory, contract sections 2 and 3: `/organization`, `/domains`, `/users` (with `$select`,
 * paging and delta), `/me` and `memberOf`, `/groups` with direct members and delta.
 */
import {
  GraphError,
  graphJson,
  listResponse,
  odataContext,
  pageResponse,
  parseSelect,
  parseTop,
  preferredMaxPageSize,
  project,
  refuseUnimplementedQueryOptions,
  requirePermission,
  type GraphContext,
  type GraphHandler,
} from './graph-common.js';
import { DIRECTORY_ROLE_TEMPLATES, type FakeGroup, type FakeTenant, type FakeUser } from './model.js';
import type { DeltaPosition } from './paging.js';

/** Directory lists: 100 per page unless `$top` says otherwise, 999 at most (contract section 3). */
const DIRECTORY_PAGE_SIZE = 100;
const DIRECTORY_MAX_PAGE_SIZE = 999;

/** What `/users` returns without `$select` (Graph v1.0's default set). */
const USER_DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;
/** `accountEnabled`, `proxyAddresses`, `userType` come only when selected (contract section 3). */
const USER_PROPERTIES = [
  ...USER_DEFAULT_PROPERTIES,
  'accountEnabled',
  'proxyAddresses',
  'userType',
  'createdDateTime',
  'otherMails',
  'deletedDateTime',
] as const;

const GROUP_DEFAULT_PROPERTIES = [
  'id',
  'deletedDateTime',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'proxyAddresses',
  'securityEnabled',
  'visibility',
] as const;
const GROUP_PROPERTIES = GROUP_DEFAULT_PROPERTIES;

function userJson(user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
    proxyAddresses: [...user.proxyAddresses],
    userType: user.userType,
    createdDateTime: user.createdDateTime,
    otherMails: [],
    deletedDateTime: null,
  };
}

function groupJson(group: FakeGroup): Record<string, unknown> {
  return {
    id: group.id,
    deletedDateTime: null,
    createdDateTime: group.createdDateTime,
    description: group.description,
    displayName: group.displayName,
    groupTypes: [...group.groupTypes],
    mail: group.mail,
    mailEnabled: group.mailEnabled,
    mailNickname: group.mailNickname,
    proxyAddresses: [...group.proxyAddresses],
    securityEnabled: group.securityEnabled,
    visibility: group.groupTypes.includes('Unified') ? 'Private' : null,
  };
}

function notFound(id: string): GraphError {
  return new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function directoryPageSize(context: GraphContext): number {
  return parseTop(context.request, DIRECTORY_PAGE_SIZE, DIRECTORY_MAX_PAGE_SIZE, 'Request_UnsupportedQuery');
}

function selectFragment(select: string[] | undefined): string {
  return select ? `(${select.join(',')})` : '';
}

export const listUsers: GraphHandler = (context) => {
  requirePermission(context, 'readUsers');
  refuseUnimplementedQueryOptions(context.request);
  const selected = parseSelect(context.request, 'user', USER_PROPERTIES);
  const select = selected ?? [...USER_DEFAULT_PROPERTIES];
  return listResponse(context, {
    odataContext: odataContext(context.deps, `users${selectFragment(selected)}`),
    pageSize: directoryPageSize(context),
    items: () => [...context.tenant.users.values()].map((user) => project(userJson(user), select)),
  });
};

/** `/users/{id|upn}` and `/me`. */
export const getUser: GraphHandler = (context) => {
  const user = context.user;
  if (!user) throw notFound(context.params['user'] ?? '');
  requirePermission(context, 'readUsers');
  const select = parseSelect(context.request, 'user', USER_PROPERTIES) ?? [...USER_DEFAULT_PROPERTIES];
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, 'users/$entity'),
    ...project(userJson(user), select),
  });
};

/**
 * `/users/{id}/memberOf` and `/me/memberOf` (contract section 2): the groups the user is a direct member
 * of and the directory roles they hold, each with its `@odata.type`.
 */
export const listMemberOf: GraphHandler = (context) => {
  const user = context.user;
  if (!user) throw notFound(context.params['user'] ?? '');
  requirePermission(context, 'readMemberOf');
  refuseUnimplementedQueryOptions(context.request);
  const tenant = context.tenant;
  const select = parseSelect(context.request, 'directoryObject', [
    ...USER_PROPERTIES,
    ...GROUP_PROPERTIES,
    'roleTemplateId',
  ]);
  const items = () => [
    ...user.roles.map((role) => {
      const full = {
        '@odata.type': '#microsoft.graph.directoryRole',
        id: tenant.directoryRoleId(role),
        deletedDateTime: null,
        description: `Members of this role hold the ${role} permissions.`,
        displayName: role,
        roleTemplateId: DIRECTORY_ROLE_TEMPLATES[role],
      };
      return select ? project(full, select, ['@odata.type']) : full;
    }),
    ...tenant.groupsContaining(user.id).map((group) => {
      const full = { '@odata.type': '#microsoft.graph.group', ...groupJson(group) };
      return select ? project(full, select, ['@odata.type']) : full;
    }),
  ];
  return listResponse(context, {
    odataContext: odataContext(context.deps, 'directoryObjects'),
    pageSize: directoryPageSize(context),
    items,
  });
};

export const listGroups: GraphHandler = (context) => {
  requirePermission(context, 'readGroups');
  refuseUnimplementedQueryOptions(context.request);
  const selected = parseSelect(context.request, 'group', GROUP_PROPERTIES);
  const select = selected ?? [...GROUP_DEFAULT_PROPERTIES];
  return listResponse(context, {
    odataContext: odataContext(context.deps, `groups${selectFragment(selected)}`),
    pageSize: directoryPageSize(context),
    items: () => [...context.tenant.groups.values()].map((group) => project(groupJson(group), select)),
  });
};

export const getGroup: GraphHandler = (context) => {
  requirePermission(context, 'readGroups');
  const group = context.tenant.groups.get(context.params['group'] ?? '');
  if (!group) throw notFound(context.params['group'] ?? '');
  const select = parseSelect(context.request, 'group', GROUP_PROPERTIES) ?? [...GROUP_DEFAULT_PROPERTIES];
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, 'groups/$entity'),
    ...project(groupJson(group), select),
  });
};

function memberJson(tenant: FakeTenant, id: string, select: string[] | undefined): Record<string, unknown> {
  const user = tenant.users.get(id);
  const group = tenant.groups.get(id);
  const other = tenant.otherObjects.get(id);
  const full: Record<string, unknown> = user
    ? { '@odata.type': '#microsoft.graph.user', ...userJson(user) }
    : group
      ? { '@odata.type': '#microsoft.graph.group', ...groupJson(group) }
      : { '@odata.type': other!.odataType, id, displayName: other!.displayName };
  if (select) return project(full, select, ['@odata.type']);
  const defaults: readonly string[] = user
    ? USER_DEFAULT_PROPERTIES
    : group
      ? GROUP_DEFAULT_PROPERTIES
      : ['id', 'displayName'];
  return project(full, defaults, ['@odata.type']);
}

/** `/groups/{id}/members`: direct members only, each with `@odata.type` (contract section 3). */
export const listGroupMembers: GraphHandler = (context) => {
  requirePermission(context, 'readMembers');
  refuseUnimplementedQueryOptions(context.request);
  const group = context.tenant.groups.get(context.params['group'] ?? '');
  if (!group) throw notFound(context.params['group'] ?? '');
  const select = parseSelect(context.request, 'directoryObject', [...USER_PROPERTIES, ...GROUP_PROPERTIES]);
  return listResponse(context, {
    odataContext: odataContext(context.deps, 'directoryObjects'),
    pageSize: directoryPageSize(context),
    items: () => group.memberIds.map((id) => memberJson(context.tenant, id, select)),
  });
};

function organizationJson(tenant: FakeTenant): Record<string, unknown> {
  return {
    id: tenant.id,
    deletedDateTime: null,
    businessPhones: [],
    city: null,
    country: null,
    countryLetterCode: 'US',
    createdDateTime: '2020-01-01T00:00:00Z',
    displayName: tenant.displayName,
    onPremisesSyncEnabled: null,
    preferredLanguage: 'en',
    tenantType: 'AAD',
    verifiedDomains: tenant.domains
      .filter((domain) => domain.isVerified)
      .map((domain) => ({
        capabilities: domain.supportedServices.includes('Email')
          ? 'Email, OfficeCommunicationsOnlineService'
          : 'None',
        isDefault: domain.isDefault,
        isInitial: domain.isInitial,
        name: domain.id,
        type: 'Managed',
      })),
  };
}

/** `/organization`: the token's tenant (contract section 2: how Postvault confirms a tenant). */
export const listOrganization: GraphHandler = (context) => {
  requirePermission(context, 'readTenant');
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, 'organization'),
    value: [organizationJson(context.tenant)],
  });
};

export const getOrganization: GraphHandler = (context) => {
  requirePermission(context, 'readTenant');
  if (context.params['organization'] !== context.tenant.id)
    throw notFound(context.params['organization'] ?? '');
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, 'organization/$entity'),
    ...organizationJson(context.tenant),
  });
};

function domainJson(domain: FakeTenant['domains'][number]): Record<string, unknown> {
  return {
    authenticationType: 'Managed',
    availabilityStatus: null,
    id: domain.id,
    isAdminManaged: true,
    isDefault: domain.isDefault,
    isInitial: domain.isInitial,
    isRoot: true,
    isVerified: domain.isVerified,
    passwordNotificationWindowInDays: null,
    passwordValidityPeriodInDays: null,
    supportedServices: [...domain.supportedServices],
    state: null,
  };
}

/** `/domains` (contract section 3): id = domain name, isDefault, isInitial, isVerified, supportedServices. */
export const listDomains: GraphHandler = (context) => {
  requirePermission(context, 'readTenant');
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, 'domains'),
    value: context.tenant.domains.map(domainJson),
  });
};

export const getDomain: GraphHandler = (context) => {
  requirePermission(context, 'readTenant');
  const domain = context.tenant.domains.find((d) => d.id === context.params['domain']?.toLowerCase());
  if (!domain) throw notFound(context.params['domain'] ?? '');
  return graphJson(200, {
    '@odata.context': odataContext(context.deps, 'domains/$entity'),
    ...domainJson(domain),
  });
};

/**
 * The answer to a stale or unknown delta token (contract section 3): 410 Gone (or what the test set
 * with expireDeltaTokens) and a `Location` for a fresh full sync.
 */
export function staleDeltaToken(
  context: GraphContext,
  restartPath: string,
  select: string[] | undefined,
): GraphError {
  const answer = context.deps.paging.expiryAnswer;
  const restart = `${context.deps.graphUrl()}${restartPath}${select ? `?$select=${select.join(',')}` : ''}`;
  return new GraphError(
    answer.status,
    answer.code,
    'The sync state is not found or has expired. Restart the sync from the beginning.',
    answer.location ? { location: restart } : {},
  );
}

/**
 * One delta round step for users or groups: a first request (no token) lists everything, a deltaLink
 * lists what changed since its round, `$skiptoken` pages continue a round. Tokens are never consumed,
 * so replaying a deltaLink gives the same changes again (contract: "duplicates and replays happen").
 */
function directoryDelta(
  context: GraphContext,
  kind: 'users' | 'groups',
  itemsSince: (since: number, select: string[] | undefined) => unknown[],
  known: readonly string[],
): ReturnType<GraphHandler> {
  const { request, deps, tenant } = context;
  const restartPath = `/${kind}/delta`;
  const emptyPage = deps.faults.takeEmptyPage(request);
  const pageSize =
    preferredMaxPageSize(request) ??
    parseTop(request, DIRECTORY_PAGE_SIZE, DIRECTORY_MAX_PAGE_SIZE, 'Request_UnsupportedQuery');
  const contextUrl = (select: string[] | undefined) => odataContext(deps, `${kind}${selectFragment(select)}`);
  const skipToken = request.query['$skiptoken'];
  if (skipToken !== undefined) {
    const page = deps.paging.nextPage(skipToken, emptyPage);
    if (!page) throw staleDeltaToken(context, restartPath, undefined);
    return pageResponse(contextUrl(undefined), page);
  }
  let since = 0;
  let select = parseSelect(request, kind === 'users' ? 'user' : 'group', known);
  const deltaToken = request.query['$deltatoken'];
  if (deltaToken === 'latest') {
    since = tenant.version;
  } else if (deltaToken !== undefined) {
    const position = deps.paging.deltaPosition(deltaToken);
    if (!position || position.kind !== kind || position.tenantId !== tenant.id)
      throw staleDeltaToken(
        context,
        restartPath,
        deps.paging.recordedDeltaPosition(deltaToken)?.select ?? select,
      );
    since = position.version;
    select = position.select;
  }
  const deltaEnd: DeltaPosition = { kind, tenantId: tenant.id, version: tenant.version, select };
  const page = deps.paging.firstPage({
    items: itemsSince(since, select),
    pageSize,
    linkPath: restartPath,
    linkQuery: [],
    emptyPage,
    deltaEnd,
  });
  return pageResponse(contextUrl(select), page);
}

/** `/users/delta` (contract section 3); removed users come as `{id, "@removed": {reason}}`. */
export const usersDelta: GraphHandler = (context) => {
  requirePermission(context, 'readUsers');
  refuseUnimplementedQueryOptions(context.request);
  return directoryDelta(
    context,
    'users',
    (since, select) => {
      const changes = context.tenant.userChangesSince(since);
      return [
        ...changes.changed.map((user) => project(userJson(user), select ?? USER_DEFAULT_PROPERTIES, ['id'])),
        ...changes.removed.map((removal) => ({ id: removal.id, '@removed': { reason: removal.reason } })),
      ];
    },
    USER_PROPERTIES,
  );
};

/**
 * `/groups/delta`: changed groups; with `members` selected (or no `$select`) each carries
 * `members@delta`, the full member list in the first round and the added and removed members later.
 */
export const groupsDelta: GraphHandler = (context) => {
  requirePermission(context, 'readGroups');
  refuseUnimplementedQueryOptions(context.request);
  const tenant = context.tenant;
  return directoryDelta(
    context,
    'groups',
    (since, select) => {
      const changes = tenant.groupChangesSince(since);
      const withMembers = !select || select.includes('members');
      return [
        ...changes.changed.map((group) => {
          const item = project(
            groupJson(group),
            (select ?? GROUP_DEFAULT_PROPERTIES).filter((p) => p !== 'members'),
            ['id'],
          );
          if (!withMembers) return item;
          if (since === 0) {
            item['members@delta'] = group.memberIds.map((id) => ({
              '@odata.type': tenant.objectType(id),
              id,
            }));
          } else {
            const lastChange = new Map<string, 'added' | 'removed'>();
            for (const change of changes.membershipChanges)
              if (change.groupId === group.id) lastChange.set(change.memberId, change.change);
            item['members@delta'] = [...lastChange].map(([id, change]) => ({
              '@odata.type': tenant.objectType(id) ?? '#microsoft.graph.user',
              id,
              ...(change === 'removed' && { '@removed': { reason: 'deleted' } }),
            }));
          }
          return item;
        }),
        ...changes.removed.map((removal) => ({ id: removal.id, '@removed': { reason: removal.reason } })),
      ];
    },
    [...GROUP_PROPERTIES, 'members'],
  );
};
