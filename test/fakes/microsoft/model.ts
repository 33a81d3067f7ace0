/**
 * The in-memory Microsoft 365 the fakes serve: tenants with their domains, users, groups, app
 * registrations and admin consents, and mailboxes with folders and messages. Tests seed and change it
 * through these classes; the login and Graph servers read it.
 *
 * Change users, groups, memberships and messages through the methods (not by assigning fields): the
 * methods record the change so that delta queries (contract sections 3 and 4) report it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { exchangeId, guid, graphDateTime, opaqueToken } from './ids.js';
import { headerValue, looksLikeItHasAttachments, parseAddressList, type MailAddress } from './mime.js';

/** Directory roles by display name, with Microsoft's fixed role template ids. */
export const DIRECTORY_ROLE_TEMPLATES = {
  'Global Administrator': '62e90394-69f5-4237-9190-012177145e10',
  'Privileged Role Administrator': 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  'Exchange Administrator': '29232cdf-9323-42fd-ade2-1d097af3e4de',
  'User Administrator': 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  'Global Reader': 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  'Application Administrator': '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  'Cloud Application Administrator': '158c047a-c907-4556-b7ef-446551a6b5f7',
  'Compliance Administrator': '17315797-102d-40b4-93e0-432062caca18',
} as const;
export type DirectoryRoleName = keyof typeof DIRECTORY_ROLE_TEMPLATES;

/** Only these roles may grant tenant-wide consent to Microsoft Graph application permissions. */
export const ROLES_THAT_GRANT_ADMIN_CONSENT: readonly DirectoryRoleName[] = [
  'Global Administrator',
  'Privileged Role Administrator',
];

/** What Postvault asks for (contract section 5): the default for a registered app. */
export const DEFAULT_APPLICATION_PERMISSIONS = [
  'Mail.Send',
  'User.Read.All',
  'Mail.ReadWrite',
  'Directory.Read.All',
];
export const DEFAULT_DELEGATED_PERMISSIONS = ['User.Read'];

/** Well-known folder names Graph accepts in place of a folder id. */
export const WELL_KNOWN_FOLDERS = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sentitems: 'Sent Items',
  deleteditems: 'Deleted Items',
  junkemail: 'Junk Email',
  outbox: 'Outbox',
  archive: 'Archive',
} as const;
export type WellKnownFolderName =
  keyof typeof WELL_KNOWN_FOLDERS | 'msgfolderroot' | 'recoverableitemsdeletions';

export class FakeClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  /** Moves the fakes' time forward (token lifetimes, rate windows); the test's own clock is untouched. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface FakeDomain {
  /** The domain name (Graph's `id` of a domain). */
  id: string;
  isDefault: boolean;
  isInitial: boolean;
  isVerified: boolean;
  supportedServices: string[];
}

export interface FakeUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  /** Null: the user has no mailbox (contract section 3). */
  mail: string | null;
  accountEnabled: boolean;
  proxyAddresses: string[];
  userType: 'Member' | 'Guest';
  createdDateTime: string;
  /** Directory roles held directly; `/me/memberOf` lists them as directoryRole objects. */
  roles: DirectoryRoleName[];
  /** For the interactive sign-in form; undefined: form sign-in is refused (scripted sign-in still works). */
  password: string | undefined;
  /** A member with a `mail` has a mailbox unless seeded with `mailbox: false`; guests never have one. */
  hasMailbox: boolean;
  /** Internal change stamp for delta queries. */
  version: number;
}

export interface FakeGroup {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  securityEnabled: boolean;
  groupTypes: string[];
  proxyAddresses: string[];
  createdDateTime: string;
  /** Direct members: ids of users, groups or other directory objects of the same tenant. */
  memberIds: string[];
  version: number;
}

/** A directory object that is neither user nor group (a device, contact, service principal): a member. */
export interface FakeOtherObject {
  id: string;
  /** e.g. `#microsoft.graph.device`, `#microsoft.graph.orgContact`. */
  odataType: string;
  displayName: string;
}

export interface FakeApp {
  clientId: string;
  displayName: string;
  homeTenantId: string;
  clientSecrets: string[];
  /** Public keys that verify `client_assertion` JWTs (certificate credentials, contract section 1). */
  certificateKeys: KeyObject[];
  /** Exact strings; contract section 2: redirect_uri must equal one of them. */
  redirectUris: string[];
  /** Graph application permissions (app roles) the app asks for, e.g. `Mail.Send`. */
  applicationPermissions: string[];
  /** Graph delegated permissions (scopes) the app asks for, e.g. `User.Read`. */
  delegatedPermissions: string[];
  /** Other tenants can consent to it (Postvault's "Connect Tenant" app is multi-tenant). */
  multiTenant: boolean;
}

export interface SentMail {
  tenantId: string;
  /** The sending mailbox's user id and UPN. */
  mailboxUserId: string;
  mailboxUserPrincipalName: string;
  /** The app (client id) whose token sent it. */
  clientId: string;
  tokenKind: 'app' | 'delegated';
  format: 'json' | 'mime';
  /** JSON sendMail: the `message` object as sent. */
  message?: unknown;
  /** MIME sendMail: the decoded RFC 822 bytes. */
  mime?: Buffer;
  /** MIME sendMail: the request body exactly as sent (the base64 text). */
  base64?: string;
  saveToSentItems: boolean;
  /** Lower-cased recipient addresses (to, cc, bcc). */
  recipients: string[];
  acceptedAt: number;
  requestId: string;
}

/** A removed directory object as delta reports it (contract section 3). */
interface Removal {
  version: number;
  reason: 'changed' | 'deleted';
}

interface MembershipChange {
  version: number;
  groupId: string;
  memberId: string;
  change: 'added' | 'removed';
}

export interface AddUserOptions {
  userPrincipalName: string;
  id?: string;
  displayName?: string;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  /** Default: the UPN. Null: no mailbox. */
  mail?: string | null;
  /** Default: `["SMTP:<mail>"]`. */
  proxyAddresses?: string[];
  accountEnabled?: boolean;
  userType?: 'Member' | 'Guest';
  roles?: DirectoryRoleName[];
  password?: string;
  /** False: a `mail` without a mailbox in this tenant (e.g. a mail user). */
  mailbox?: boolean;
}

export interface AddGroupOptions {
  displayName: string;
  id?: string;
  description?: string | null;
  mail?: string | null;
  mailEnabled?: boolean;
  securityEnabled?: boolean;
  /** `["Unified"]` for a Microsoft 365 group. */
  groupTypes?: string[];
  proxyAddresses?: string[];
  members?: Array<string | { id: string }>;
}

export interface RegisterAppOptions {
  clientId?: string;
  displayName?: string;
  /** One or more valid secrets; default: one generated secret. */
  clientSecret?: string | string[];
  /** PEM public keys or certificates (or KeyObjects) for `client_assertion`. */
  certificates?: Array<string | KeyObject>;
  redirectUris?: string[];
  applicationPermissions?: string[];
  delegatedPermissions?: string[];
  multiTenant?: boolean;
  /** Whether the home tenant's admin already granted the application permissions (default true). */
  adminConsentGranted?: boolean;
}

export interface AddFolderOptions {
  displayName: string;
  /** Parent folder id or well-known name; default the root (`msgfolderroot`). */
  parent?: string;
  hidden?: boolean;
  /** Makes it a search folder (`#microsoft.graph.mailSearchFolder`), which clients must skip. */
  search?: { filterQuery?: string; sourceFolderIds?: string[]; includeNestedFolders?: boolean };
}

export interface AddMessageOptions {
  /** Folder id or well-known name; default `inbox`. */
  folder?: string;
  /** The exact RFC 822 bytes (`$value` returns them unchanged). */
  raw: Buffer | string;
  /** Default: the Date header, else now. */
  receivedDateTime?: Date | string;
  /** Defaults below come from the message's header. */
  subject?: string;
  from?: MailAddress | null;
  internetMessageId?: string;
  hasAttachments?: boolean;
  isRead?: boolean;
}

export class FakeTenant {
  readonly domains: FakeDomain[] = [];
  readonly users = new Map<string, FakeUser>();
  /** Soft-deleted users: gone from `/users`, restorable, reported by delta as `reason: changed`. */
  readonly deletedUsers = new Map<string, FakeUser>();
  readonly groups = new Map<string, FakeGroup>();
  readonly otherObjects = new Map<string, FakeOtherObject>();
  /** Admin consents: client id → the application permissions granted in this tenant. */
  readonly consents = new Map<string, Set<string>>();
  /** Directory role objects (per tenant ids), activated when first assigned. */
  readonly directoryRoleIds = new Map<DirectoryRoleName, string>();
  readonly mailboxes = new Map<string, FakeMailbox>();

  private changeVersion = 0;
  private readonly removedUsers = new Map<string, Removal>();
  private readonly removedGroups = new Map<string, Removal>();
  private readonly membershipChanges: MembershipChange[] = [];

  constructor(
    readonly state: MicrosoftFakeState,
    readonly id: string,
    readonly displayName: string,
    /** The `<name>.onmicrosoft.com` domain every tenant has. */
    readonly initialDomain: string,
  ) {}

  /** The current change stamp: a delta token remembers it. */
  get version(): number {
    return this.changeVersion;
  }

  private nextVersion(): number {
    this.changeVersion += 1;
    return this.changeVersion;
  }

  addDomain(options: {
    name: string;
    isDefault?: boolean;
    isVerified?: boolean;
    supportedServices?: string[];
  }): FakeDomain {
    const domain: FakeDomain = {
      id: options.name.toLowerCase(),
      isDefault: options.isDefault ?? false,
      isInitial: false,
      isVerified: options.isVerified ?? true,
      supportedServices: options.supportedServices ?? ['Email'],
    };
    if (domain.isDefault) for (const other of this.domains) other.isDefault = false;
    this.domains.push(domain);
    return domain;
  }

  /** Verified domain names; the login server accepts them in place of the tenant GUID. */
  verifiedDomainNames(): string[] {
    return this.domains.filter((d) => d.isVerified).map((d) => d.id);
  }

  defaultDomain(): string {
    return (this.domains.find((d) => d.isDefault) ?? this.domains[0]!).id;
  }

  addUser(options: AddUserOptions): FakeUser {
    const upn = options.userPrincipalName;
    const suffix = upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();
    if (!this.verifiedDomainNames().includes(suffix))
      throw new Error(`UPN ${upn}: ${suffix} is not a verified domain of tenant ${this.displayName}`);
    if (this.findUser(upn)) throw new Error(`user ${upn} exists already`);
    const userType = options.userType ?? 'Member';
    const mail = options.mail === undefined ? (userType === 'Guest' ? null : upn) : options.mail;
    const localPart = upn.slice(0, upn.indexOf('@'));
    const user: FakeUser = {
      id: options.id ?? guid(),
      userPrincipalName: upn,
      displayName: options.displayName ?? localPart,
      givenName: options.givenName ?? null,
      surname: options.surname ?? null,
      jobTitle: options.jobTitle ?? null,
      mail,
      accountEnabled: options.accountEnabled ?? true,
      proxyAddresses: options.proxyAddresses ?? (mail ? [`SMTP:${mail}`] : []),
      userType,
      createdDateTime: graphDateTime(this.state.clock.now()),
      roles: [...(options.roles ?? [])],
      password: options.password,
      hasMailbox: userType === 'Member' && mail !== null && options.mailbox !== false,
      version: this.nextVersion(),
    };
    for (const role of user.roles) this.activateRole(role);
    this.users.set(user.id, user);
    this.removedUsers.delete(user.id);
    return user;
  }

  /**
   * A B2B guest (contract section 3): `userType: "Guest"`, a UPN with `#EXT#` in the initial domain,
   * their external address as `mail`, and no mailbox in this tenant.
   */
  addGuest(options: { email: string; displayName?: string; id?: string }): FakeUser {
    const upn = `${options.email.replace('@', '_')}#EXT#@${this.initialDomain}`;
    return this.addUser({
      userPrincipalName: upn,
      ...(options.id !== undefined && { id: options.id }),
      displayName: options.displayName ?? options.email,
      mail: options.email,
      proxyAddresses: [`SMTP:${options.email}`],
      userType: 'Guest',
    });
  }

  /** By id or UPN (case-insensitive), among users that are not deleted. */
  findUser(idOrUpn: string): FakeUser | undefined {
    const byId = this.users.get(idOrUpn);
    if (byId) return byId;
    const wanted = idOrUpn.toLowerCase();
    for (const user of this.users.values()) if (user.userPrincipalName.toLowerCase() === wanted) return user;
    return undefined;
  }

  /** Like findUser, but a test's typo fails loudly. */
  user(idOrUpn: string): FakeUser {
    const user = this.findUser(idOrUpn);
    if (!user) throw new Error(`no user ${idOrUpn} in tenant ${this.displayName}`);
    return user;
  }

  /** Changes a user so that `/users/delta` reports it. */
  updateUser(idOrUpn: string, changes: Partial<Omit<FakeUser, 'id' | 'version'>>): FakeUser {
    const user = this.user(idOrUpn);
    // Taking the mail away takes the mailbox with it unless the test says otherwise.
    const hasMailbox = changes.hasMailbox ?? (changes.mail === null ? false : user.hasMailbox);
    Object.assign(user, changes, { hasMailbox, version: this.nextVersion() });
    for (const role of user.roles) this.activateRole(role);
    return user;
  }

  assignRole(idOrUpn: string, role: DirectoryRoleName): void {
    const user = this.user(idOrUpn);
    if (!user.roles.includes(role)) this.updateUser(user.id, { roles: [...user.roles, role] });
  }

  /**
   * Soft delete (the user goes to the directory's recycle bin; delta says `reason: "changed"`) or,
   * with `permanently`, hard delete (`reason: "deleted"`). Contract section 3.
   */
  deleteUser(idOrUpn: string, options: { permanently?: boolean } = {}): void {
    const user = this.findUser(idOrUpn) ?? this.deletedUsers.get(idOrUpn);
    if (!user) throw new Error(`no user ${idOrUpn} in tenant ${this.displayName}`);
    this.users.delete(user.id);
    this.removeFromAllGroups(user.id);
    if (options.permanently) {
      this.deletedUsers.delete(user.id);
      this.mailboxes.delete(user.id);
      this.removedUsers.set(user.id, { version: this.nextVersion(), reason: 'deleted' });
    } else {
      this.deletedUsers.set(user.id, user);
      this.removedUsers.set(user.id, { version: this.nextVersion(), reason: 'changed' });
    }
  }

  restoreUser(id: string): FakeUser {
    const user = this.deletedUsers.get(id);
    if (!user) throw new Error(`no soft-deleted user ${id} in tenant ${this.displayName}`);
    this.deletedUsers.delete(id);
    this.removedUsers.delete(id);
    user.version = this.nextVersion();
    this.users.set(id, user);
    return user;
  }

  addGroup(options: AddGroupOptions): FakeGroup {
    const mail = options.mail ?? null;
    const mailEnabled = options.mailEnabled ?? mail !== null;
    const group: FakeGroup = {
      id: options.id ?? guid(),
      displayName: options.displayName,
      description: options.description ?? null,
      mail,
      mailEnabled,
      mailNickname: mail
        ? mail.slice(0, mail.indexOf('@'))
        : options.displayName.replace(/[^A-Za-z0-9]/g, ''),
      securityEnabled: options.securityEnabled ?? !mailEnabled,
      groupTypes: options.groupTypes ?? [],
      proxyAddresses: options.proxyAddresses ?? (mail ? [`SMTP:${mail}`] : []),
      createdDateTime: graphDateTime(this.state.clock.now()),
      memberIds: [],
      version: this.nextVersion(),
    };
    this.groups.set(group.id, group);
    this.removedGroups.delete(group.id);
    for (const member of options.members ?? []) this.addMember(group.id, member);
    return group;
  }

  group(id: string): FakeGroup {
    const group = this.groups.get(id);
    if (!group) throw new Error(`no group ${id} in tenant ${this.displayName}`);
    return group;
  }

  updateGroup(id: string, changes: Partial<Omit<FakeGroup, 'id' | 'version' | 'memberIds'>>): FakeGroup {
    const group = this.group(id);
    Object.assign(group, changes, { version: this.nextVersion() });
    return group;
  }

  deleteGroup(id: string, options: { permanently?: boolean } = {}): void {
    this.group(id);
    this.groups.delete(id);
    this.removeFromAllGroups(id);
    this.removedGroups.set(id, {
      version: this.nextVersion(),
      reason: options.permanently ? 'deleted' : 'changed',
    });
  }

  /** A device, contact or other non-user member for groups (`@odata.type` tells clients to skip it). */
  addOtherObject(options: { odataType: string; displayName: string; id?: string }): FakeOtherObject {
    const object = {
      id: options.id ?? guid(),
      odataType: options.odataType,
      displayName: options.displayName,
    };
    this.otherObjects.set(object.id, object);
    return object;
  }

  addMember(groupId: string, member: string | { id: string }): void {
    const group = this.group(groupId);
    const memberId = typeof member === 'string' ? (this.findUser(member)?.id ?? member) : member.id;
    if (!this.users.has(memberId) && !this.groups.has(memberId) && !this.otherObjects.has(memberId))
      throw new Error(`no directory object ${memberId} in tenant ${this.displayName}`);
    if (group.memberIds.includes(memberId)) return;
    group.memberIds.push(memberId);
    group.version = this.nextVersion();
    this.membershipChanges.push({ version: group.version, groupId, memberId, change: 'added' });
  }

  removeMember(groupId: string, memberId: string): void {
    const group = this.group(groupId);
    if (!group.memberIds.includes(memberId)) return;
    group.memberIds = group.memberIds.filter((id) => id !== memberId);
    group.version = this.nextVersion();
    this.membershipChanges.push({ version: group.version, groupId, memberId, change: 'removed' });
  }

  private removeFromAllGroups(memberId: string): void {
    for (const group of this.groups.values())
      if (group.memberIds.includes(memberId)) this.removeMember(group.id, memberId);
  }

  /** The type of a directory object for `@odata.type`, or undefined when it is gone. */
  objectType(id: string): string | undefined {
    if (this.users.has(id)) return '#microsoft.graph.user';
    if (this.groups.has(id)) return '#microsoft.graph.group';
    return this.otherObjects.get(id)?.odataType;
  }

  /** Groups that list the object as a direct member (`memberOf`). */
  groupsContaining(id: string): FakeGroup[] {
    return [...this.groups.values()].filter((group) => group.memberIds.includes(id));
  }

  private activateRole(role: DirectoryRoleName): void {
    this.directoryRoleId(role);
  }

  /** The tenant's directoryRole object id for a role (activated on first use, as in Entra ID). */
  directoryRoleId(role: DirectoryRoleName): string {
    if (!(role in DIRECTORY_ROLE_TEMPLATES)) throw new Error(`unknown directory role ${role}`);
    let id = this.directoryRoleIds.get(role);
    if (!id) this.directoryRoleIds.set(role, (id = guid()));
    return id;
  }

  /** Users changed after `since` and users removed after it (for `/users/delta`). */
  userChangesSince(since: number): { changed: FakeUser[]; removed: Array<{ id: string } & Removal> } {
    return {
      changed: [...this.users.values()].filter((user) => user.version > since),
      removed: since === 0 ? [] : removalsAfter(this.removedUsers, since),
    };
  }

  groupChangesSince(since: number): {
    changed: FakeGroup[];
    removed: Array<{ id: string } & Removal>;
    membershipChanges: MembershipChange[];
  } {
    return {
      changed: [...this.groups.values()].filter((group) => group.version > since),
      removed: since === 0 ? [] : removalsAfter(this.removedGroups, since),
      membershipChanges: this.membershipChanges.filter((change) => change.version > since),
    };
  }

  /** Registers an app in this (its home) tenant. */
  registerApp(options: RegisterAppOptions = {}): FakeApp {
    const secrets = options.clientSecret ?? [`secret-${opaqueToken()}`];
    const app: FakeApp = {
      clientId: options.clientId ?? guid(),
      displayName: options.displayName ?? 'Postvault',
      homeTenantId: this.id,
      clientSecrets: Array.isArray(secrets) ? [...secrets] : [secrets],
      certificateKeys: (options.certificates ?? []).map((key) =>
        typeof key === 'string' ? createPublicKey(key) : key,
      ),
      redirectUris: [...(options.redirectUris ?? [])],
      applicationPermissions: [...(options.applicationPermissions ?? DEFAULT_APPLICATION_PERMISSIONS)],
      delegatedPermissions: [...(options.delegatedPermissions ?? DEFAULT_DELEGATED_PERMISSIONS)],
      multiTenant: options.multiTenant ?? true,
    };
    if (this.state.apps.has(app.clientId)) throw new Error(`app ${app.clientId} exists already`);
    this.state.apps.set(app.clientId, app);
    if (options.adminConsentGranted ?? true) this.grantAdminConsent(app.clientId);
    return app;
  }

  /** Tenant-wide admin consent: the app gets a service principal here with these app roles. */
  grantAdminConsent(clientId: string, permissions?: string[]): void {
    const app = this.state.apps.get(clientId);
    if (!app) throw new Error(`no app ${clientId}`);
    this.consents.set(clientId, new Set(permissions ?? app.applicationPermissions));
  }

  revokeAdminConsent(clientId: string): void {
    this.consents.delete(clientId);
  }

  hasAdminConsent(clientId: string): boolean {
    return this.consents.has(clientId);
  }

  /** The user's mailbox (created on first use with the default folders). */
  mailbox(idOrUpn: string): FakeMailbox {
    const user = this.user(idOrUpn);
    if (!user.hasMailbox) throw new Error(`${user.userPrincipalName} has no mailbox`);
    let mailbox = this.mailboxes.get(user.id);
    if (!mailbox) this.mailboxes.set(user.id, (mailbox = new FakeMailbox(this.state, user)));
    return mailbox;
  }

  /** What the mailbox handed to sendMail, oldest first. */
  sentMail(idOrUpn: string): SentMail[] {
    return this.mailbox(idOrUpn).sent;
  }
}

function removalsAfter(removals: Map<string, Removal>, since: number): Array<{ id: string } & Removal> {
  return [...removals].filter(([, removal]) => removal.version > since).map(([id, r]) => ({ id, ...r }));
}

export interface FakeFolder {
  id: string;
  displayName: string;
  parentFolderId: string;
  isHidden: boolean;
  wellKnownName: WellKnownFolderName | undefined;
  search: { filterQuery: string; sourceFolderIds: string[]; includeNestedFolders: boolean } | undefined;
}

export interface FakeMessage {
  /** Stays the same across moves (`Prefer: IdType="ImmutableId"`, contract section 4). */
  immutableId: string;
  /** The default id: changes whenever the message moves to another folder. */
  restId: string;
  folderId: string;
  raw: Buffer;
  internetMessageId: string;
  subject: string;
  from: MailAddress | null;
  receivedDateTime: string;
  sentDateTime: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  hasAttachments: boolean;
  isRead: boolean;
  version: number;
}

/** A message that left a folder (moved out or deleted): delta of that folder reports `@removed`. */
interface FolderRemoval {
  folderId: string;
  immutableId: string;
  restId: string;
  version: number;
}

export class FakeMailbox {
  readonly folders = new Map<string, FakeFolder>();
  /** By immutable id. */
  readonly messages = new Map<string, FakeMessage>();
  readonly sent: SentMail[] = [];
  readonly rootFolderId: string;
  readonly recoverableItemsFolderId: string;
  private changeVersion = 0;
  private readonly removals: FolderRemoval[] = [];

  constructor(
    private readonly state: MicrosoftFakeState,
    readonly user: FakeUser,
  ) {
    // The root's own parent is the (non-IPM) mailbox root, which Graph never lists.
    const nonIpmRoot = exchangeId('AAMk');
    this.rootFolderId = this.createFolder('Top of Information Store', nonIpmRoot, 'msgfolderroot').id;
    this.recoverableItemsFolderId = this.createFolder(
      'Deletions',
      nonIpmRoot,
      'recoverableitemsdeletions',
      true,
    ).id;
    for (const [name, displayName] of Object.entries(WELL_KNOWN_FOLDERS))
      this.createFolder(displayName, this.rootFolderId, name as WellKnownFolderName);
  }

  get version(): number {
    return this.changeVersion;
  }

  private nextVersion(): number {
    this.changeVersion += 1;
    return this.changeVersion;
  }

  private createFolder(
    displayName: string,
    parentFolderId: string,
    wellKnownName?: WellKnownFolderName,
    isHidden = false,
  ): FakeFolder {
    const folder: FakeFolder = {
      id: exchangeId('AAMk'),
      displayName,
      parentFolderId,
      isHidden,
      wellKnownName,
      search: undefined,
    };
    this.folders.set(folder.id, folder);
    return folder;
  }

  /** By id or well-known name (`inbox`, `sentitems`, `msgfolderroot`, ...; case-insensitive). */
  findFolder(idOrWellKnownName: string): FakeFolder | undefined {
    const byId = this.folders.get(idOrWellKnownName);
    if (byId) return byId;
    const wanted = idOrWellKnownName.toLowerCase();
    for (const folder of this.folders.values()) if (folder.wellKnownName === wanted) return folder;
    return undefined;
  }

  folder(idOrWellKnownName: string): FakeFolder {
    const folder = this.findFolder(idOrWellKnownName);
    if (!folder) throw new Error(`no folder ${idOrWellKnownName} in ${this.user.userPrincipalName}`);
    return folder;
  }

  addFolder(options: AddFolderOptions): FakeFolder {
    const parent = this.folder(options.parent ?? 'msgfolderroot');
    const folder = this.createFolder(options.displayName, parent.id, undefined, options.hidden ?? false);
    if (options.search)
      folder.search = {
        filterQuery: options.search.filterQuery ?? '',
        sourceFolderIds: options.search.sourceFolderIds ?? [],
        includeNestedFolders: options.search.includeNestedFolders ?? false,
      };
    return folder;
  }

  childFolders(folderId: string): FakeFolder[] {
    return [...this.folders.values()].filter((folder) => folder.parentFolderId === folderId);
  }

  messagesIn(folderId: string): FakeMessage[] {
    return [...this.messages.values()].filter((message) => message.folderId === folderId);
  }

  addMessage(options: AddMessageOptions): FakeMessage {
    const folder = this.folder(options.folder ?? 'inbox');
    const raw = typeof options.raw === 'string' ? Buffer.from(options.raw, 'utf8') : options.raw;
    const now = this.state.clock.now();
    const dateHeader = headerValue(raw, 'date');
    const headerDate = dateHeader ? Date.parse(dateHeader) : NaN;
    const received =
      options.receivedDateTime !== undefined
        ? new Date(options.receivedDateTime).getTime()
        : Number.isNaN(headerDate)
          ? now
          : headerDate;
    const message: FakeMessage = {
      immutableId: exchangeId('AAkA'),
      restId: exchangeId('AAMk'),
      folderId: folder.id,
      raw,
      internetMessageId: options.internetMessageId ?? headerValue(raw, 'message-id') ?? `<${guid()}@fake>`,
      subject: options.subject ?? headerValue(raw, 'subject') ?? '',
      from:
        options.from === undefined ? (parseAddressList(headerValue(raw, 'from'))[0] ?? null) : options.from,
      receivedDateTime: graphDateTime(received),
      sentDateTime: graphDateTime(Number.isNaN(headerDate) ? received : headerDate),
      createdDateTime: graphDateTime(now),
      lastModifiedDateTime: graphDateTime(now),
      hasAttachments: options.hasAttachments ?? looksLikeItHasAttachments(raw),
      isRead: options.isRead ?? false,
      version: this.nextVersion(),
    };
    this.messages.set(message.immutableId, message);
    return message;
  }

  /** By immutable id or current REST id; an old REST id (before a move) no longer finds it. */
  findMessage(id: string): FakeMessage | undefined {
    const byImmutable = this.messages.get(id);
    if (byImmutable) return byImmutable;
    for (const message of this.messages.values()) if (message.restId === id) return message;
    return undefined;
  }

  message(id: string): FakeMessage {
    const message = this.findMessage(id);
    if (!message) throw new Error(`no message ${id} in ${this.user.userPrincipalName}`);
    return message;
  }

  /** Marks read, renames, ...: delta of its folder reports it again. */
  updateMessage(id: string, changes: { isRead?: boolean; subject?: string }): FakeMessage {
    const message = this.message(id);
    Object.assign(message, changes, {
      version: this.nextVersion(),
      lastModifiedDateTime: graphDateTime(this.state.clock.now()),
    });
    return message;
  }

  /** Moves a message: its REST id changes, its immutable id does not. */
  moveMessage(id: string, toFolder: string): FakeMessage {
    const message = this.message(id);
    const target = this.folder(toFolder);
    if (target.id === message.folderId) return message;
    this.recordRemoval(message);
    message.folderId = target.id;
    message.restId = exchangeId('AAMk');
    message.version = this.nextVersion();
    return message;
  }

  /** DELETE /messages/{id}: to Recoverable Items (contract section 4). */
  deleteMessage(id: string): void {
    this.moveMessage(id, 'recoverableitemsdeletions');
  }

  /** POST /messages/{id}/permanentDelete. */
  permanentlyDeleteMessage(id: string): void {
    const message = this.message(id);
    this.recordRemoval(message);
    this.messages.delete(message.immutableId);
  }

  private recordRemoval(message: FakeMessage): void {
    this.removals.push({
      folderId: message.folderId,
      immutableId: message.immutableId,
      restId: message.restId,
      version: this.nextVersion(),
    });
  }

  /** Messages of the folder changed after `since`, and those that left it after `since`. */
  folderChangesSince(
    folderId: string,
    since: number,
  ): { changed: FakeMessage[]; removed: Array<{ immutableId: string; restId: string }> } {
    const changed = this.messagesIn(folderId).filter((message) => message.version > since);
    const stillHere = new Set(this.messagesIn(folderId).map((message) => message.immutableId));
    const removed =
      since === 0
        ? []
        : this.removals.filter(
            (removal) =>
              removal.folderId === folderId && removal.version > since && !stillHere.has(removal.immutableId),
          );
    return { changed, removed };
  }
}

export interface AddTenantOptions {
  /** Short name: the initial domain is `<name>.onmicrosoft.com`. */
  name: string;
  id?: string;
  displayName?: string;
  /** Further verified domains; the first becomes the default domain. */
  domains?: string[];
}

/** The whole fake Microsoft cloud: tenants and (global) app registrations. */
export class MicrosoftFakeState {
  readonly tenants = new Map<string, FakeTenant>();
  readonly apps = new Map<string, FakeApp>();
  /** Every sendMail accepted, in order, over all tenants. */
  readonly sentMail: SentMail[] = [];

  constructor(
    readonly clock: FakeClock,
    /** `expires_in` of new access tokens; change it to make later tokens short-lived. */
    public tokenLifetimeSeconds: number,
  ) {}

  addTenant(options: AddTenantOptions): FakeTenant {
    const tenant = new FakeTenant(
      this,
      options.id ?? guid(),
      options.displayName ?? options.name,
      `${options.name.toLowerCase()}.onmicrosoft.com`,
    );
    if (this.tenants.has(tenant.id)) throw new Error(`tenant ${tenant.id} exists already`);
    tenant.domains.push({
      id: tenant.initialDomain,
      isDefault: (options.domains ?? []).length === 0,
      isInitial: true,
      isVerified: true,
      supportedServices: ['Email', 'OfficeCommunicationsOnlineService'],
    });
    (options.domains ?? []).forEach((name, index) => tenant.addDomain({ name, isDefault: index === 0 }));
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  /** By GUID or verified domain name (contract section 1: `{tenant}` may be either). */
  findTenant(idOrDomain: string): FakeTenant | undefined {
    const wanted = idOrDomain.toLowerCase();
    for (const tenant of this.tenants.values())
      if (tenant.id === wanted || tenant.verifiedDomainNames().includes(wanted)) return tenant;
    return undefined;
  }

  tenant(idOrDomain: string): FakeTenant {
    const tenant = this.findTenant(idOrDomain);
    if (!tenant) throw new Error(`no tenant ${idOrDomain}`);
    return tenant;
  }

  app(clientId: string): FakeApp {
    const app = this.apps.get(clientId);
    if (!app) throw new Error(`no app ${clientId}`);
    return app;
  }

  /** The user who signs in with this UPN (or, failing that, a member's mail address). */
  findUserAnywhere(login: string): { tenant: FakeTenant; user: FakeUser } | undefined {
    const wanted = login.toLowerCase();
    const everyone = [...this.tenants.values()].flatMap((tenant) =>
      [...tenant.users.values()].map((user) => ({ tenant, user })),
    );
    return (
      everyone.find(({ user }) => user.userPrincipalName.toLowerCase() === wanted) ??
      everyone.find(({ user }) => user.userType === 'Member' && user.mail?.toLowerCase() === wanted)
    );
  }
}
