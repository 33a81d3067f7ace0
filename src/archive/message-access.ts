import type { Db } from '../db/database.js';
import { hasRole, isInstallationActor, type AuthContext } from '../tenancy/access.js';

/**
 * Who may read an archived message: the owners of its mailbox, members of a group the mailbox is
 * shared with, and users with the Compliance role (every mailbox of the tenant). The operator and
 * Postvault itself (actor kind 'system') pass. Always within the caller's tenant.
 */
export class MessageAccess {
  constructor(private readonly db: Db) {}

  async mayRead(ctx: AuthContext, messageId: number): Promise<boolean> {
    const message = await this.db
      .selectFrom('messages')
      .select('mailbox_id')
      .where('tenant_id', '=', ctx.tenantId)
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!message) return false;
    if (isInstallationActor(ctx.actor) || hasRole(ctx, 'compliance')) return true;
    // A gateway administrator owns no mailbox of any tenant (and its id is no user id).
    if (ctx.actor.kind !== 'user') return false;
    const userId = ctx.actor.id;
    const owner = await this.db
      .selectFrom('mailbox_owners')
      .select('user_id')
      .where('tenant_id', '=', ctx.tenantId)
      .where('mailbox_id', '=', message.mailbox_id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (owner) return true;
    const shared = await this.db
      .selectFrom('mailbox_shares as s')
      .innerJoin('group_members as m', (join) =>
        join.onRef('m.group_id', '=', 's.group_id').onRef('m.tenant_id', '=', 's.tenant_id'),
      )
      .select('s.group_id')
      .where('s.tenant_id', '=', ctx.tenantId)
      .where('s.mailbox_id', '=', message.mailbox_id)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
    return shared !== undefined;
  }
}
