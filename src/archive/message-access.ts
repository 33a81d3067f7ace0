import type { Db } from '../db/database.js';
import { hasRole, isInstallationActor, type AuthContext } from '../tenancy/access.js';

/**
 * Why a user may read a mailbox: they own it, it is shared with one of their groups, or they hold
 * the Compliance role (every mailbox of the tenant). 'operator' is the system side (system
 * administrators, the CLI, Postvault itself). Reading a mailbox one does not own is audited.
 */
export type ReadReason = 'owner' | 'shared' | 'compliance' | 'operator';

/** The mailboxes a user may read, split the way Web Access shows them. */
export interface ReadableMailboxes {
  owned: number[];
  shared: number[];
  /** Every other mailbox of the tenant; only filled for the Compliance role. */
  others: number[];
}

/**
 * Who may read an archived message: the owners of its mailbox, members of a group the mailbox is
 * shared with, and users with the Compliance role. The one place that decides it, always within the
 * caller's tenant.
 */
export class MessageAccess {
  constructor(private readonly db: Db) {}

  async mayRead(ctx: AuthContext, messageId: number): Promise<boolean> {
    return (await this.readReason(ctx, messageId)) !== null;
  }

  /** Why the caller may read the message, or null when it may not (or it does not exist). */
  async readReason(ctx: AuthContext, messageId: number): Promise<ReadReason | null> {
    const message = await this.db
      .selectFrom('messages')
      .select('mailbox_id')
      .where('tenant_id', '=', ctx.tenantId)
      .where('id', '=', messageId)
      .executeTakeFirst();
    return message ? this.mailboxReadReason(ctx, message.mailbox_id) : null;
  }

  async mailboxReadReason(ctx: AuthContext, mailboxId: number): Promise<ReadReason | null> {
    if (isInstallationActor(ctx.actor)) return 'operator';
    // A gateway administrator owns no mailbox of any tenant (and its id is no user id).
    if (ctx.actor.kind !== 'user') return null;
    const readable = await this.readableMailboxes(ctx);
    if (readable.owned.includes(mailboxId)) return 'owner';
    if (readable.shared.includes(mailboxId)) return 'shared';
    if (readable.others.includes(mailboxId)) return 'compliance';
    return null;
  }

  async readableMailboxes(ctx: AuthContext): Promise<ReadableMailboxes> {
    const userId = ctx.actor.kind === 'user' ? ctx.actor.id : -1;
    const owned = await this.db
      .selectFrom('mailbox_owners')
      .select('mailbox_id')
      .where('tenant_id', '=', ctx.tenantId)
      .where('user_id', '=', userId)
      .execute();
    const shared = await this.db
      .selectFrom('mailbox_shares as s')
      .innerJoin('group_members as m', (join) =>
        join.onRef('m.group_id', '=', 's.group_id').onRef('m.tenant_id', '=', 's.tenant_id'),
      )
      .select('s.mailbox_id')
      .distinct()
      .where('s.tenant_id', '=', ctx.tenantId)
      .where('m.user_id', '=', userId)
      .execute();
    const ownedIds = owned.map((r) => r.mailbox_id);
    const sharedIds = shared.map((r) => r.mailbox_id).filter((id) => !ownedIds.includes(id));
    let others: number[] = [];
    // hasRole lets the installation's actors through, never a gateway administrator.
    if (hasRole(ctx, 'compliance')) {
      const all = await this.db
        .selectFrom('archive_mailboxes')
        .select('id')
        .where('tenant_id', '=', ctx.tenantId)
        .execute();
      const seen = new Set([...ownedIds, ...sharedIds]);
      others = all.map((r) => r.id).filter((id) => !seen.has(id));
    }
    return { owned: ownedIds, shared: sharedIds, others };
  }
}
