import type { Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { ArchiveMailbox, Database } from '../db/schema.js';

export interface MailboxDetails {
  mailbox: ArchiveMailbox;
  /** Every address of the mailbox (mailbox_addresses), primary included, alphabetical. */
  addresses: string[];
  /** Sorted by name. */
  owners: Array<{ id: number; name: string; displayName: string }>;
  /** Sorted by name. */
  sharedWith: Array<{ id: number; name: string }>;
  /** Message copies in the mailbox. */
  messages: number;
  /** Sum of the original sizes of those copies. */
  storageBytes: number;
}

export interface MailboxLinks {
  /** Every address, primary included. */
  addresses: string[];
  ownerIds: number[];
  sharedGroupIds: number[];
}

async function replaceLinks(
  trx: Transaction<Database>,
  tenantId: number,
  mailboxId: number,
  links: Partial<MailboxLinks>,
) {
  if (links.addresses) {
    await trx
      .deleteFrom('mailbox_addresses')
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .execute();
    if (links.addresses.length > 0) {
      await trx
        .insertInto('mailbox_addresses')
        .values(links.addresses.map((address) => ({ tenant_id: tenantId, mailbox_id: mailboxId, address })))
        .execute();
    }
  }
  if (links.ownerIds) {
    await trx
      .deleteFrom('mailbox_owners')
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .execute();
    if (links.ownerIds.length > 0) {
      await trx
        .insertInto('mailbox_owners')
        .values(
          links.ownerIds.map((userId) => ({ tenant_id: tenantId, mailbox_id: mailboxId, user_id: userId })),
        )
        .execute();
    }
  }
  if (links.sharedGroupIds) {
    await trx
      .deleteFrom('mailbox_shares')
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .execute();
    if (links.sharedGroupIds.length > 0) {
      await trx
        .insertInto('mailbox_shares')
        .values(
          links.sharedGroupIds.map((groupId) => ({
            tenant_id: tenantId,
            mailbox_id: mailboxId,
            group_id: groupId,
          })),
        )
        .execute();
    }
  }
}

/**
 * Archive mailboxes as Admin Access manages them: addresses, owners, shares and what they hold.
 * Each query scoped by the tenant id passed first. (Ingest finds and creates mailboxes through
 * ArchiveRepository.)
 */
export class MailboxAdminRepository {
  constructor(private readonly db: Db) {}

  /** Every mailbox of the tenant, or the one with `mailboxId`, sorted by name. */
  async findDetails(tenantId: number, mailboxId?: number): Promise<MailboxDetails[]> {
    let mailboxes = this.db.selectFrom('archive_mailboxes').selectAll().where('tenant_id', '=', tenantId);
    let addresses = this.db
      .selectFrom('mailbox_addresses')
      .select(['mailbox_id', 'address'])
      .where('tenant_id', '=', tenantId);
    let owners = this.db
      .selectFrom('mailbox_owners as o')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .select(['o.mailbox_id as mailboxId', 'u.id as id', 'u.name as name', 'u.display_name as displayName'])
      .where('o.tenant_id', '=', tenantId);
    let shares = this.db
      .selectFrom('mailbox_shares as s')
      .innerJoin('groups as g', 'g.id', 's.group_id')
      .select(['s.mailbox_id as mailboxId', 'g.id as id', 'g.name as name'])
      .where('s.tenant_id', '=', tenantId);
    // Kept by the ingest commit (mailbox_counts), so listing does not scan the messages.
    let stats = this.db
      .selectFrom('mailbox_counts')
      .select(['mailbox_id as mailboxId', 'messages', 'bytes'])
      .where('tenant_id', '=', tenantId);
    if (mailboxId !== undefined) {
      mailboxes = mailboxes.where('id', '=', mailboxId);
      addresses = addresses.where('mailbox_id', '=', mailboxId);
      owners = owners.where('o.mailbox_id', '=', mailboxId);
      shares = shares.where('s.mailbox_id', '=', mailboxId);
      stats = stats.where('mailbox_id', '=', mailboxId);
    }
    const [mailboxRows, addressRows, ownerRows, shareRows, statRows] = await Promise.all([
      mailboxes.orderBy('name').execute(),
      addresses.orderBy('address').execute(),
      owners.orderBy('u.name').execute(),
      shares.orderBy('g.name').execute(),
      stats.execute(),
    ]);
    const details = new Map<number, MailboxDetails>(
      mailboxRows.map((mailbox) => [
        mailbox.id,
        { mailbox, addresses: [], owners: [], sharedWith: [], messages: 0, storageBytes: 0 },
      ]),
    );
    for (const row of addressRows) details.get(row.mailbox_id)?.addresses.push(row.address);
    for (const { mailboxId: id, ...owner } of ownerRows) details.get(id)?.owners.push(owner);
    for (const { mailboxId: id, ...group } of shareRows) details.get(id)?.sharedWith.push(group);
    for (const row of statRows) {
      const detail = details.get(row.mailboxId);
      if (detail) {
        detail.messages = Number(row.messages);
        detail.storageBytes = Number(row.bytes);
      }
    }
    return [...details.values()];
  }

  findByName(tenantId: number, name: string): Promise<ArchiveMailbox | undefined> {
    return this.db
      .selectFrom('archive_mailboxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async count(tenantId: number): Promise<number> {
    const row = await this.db
      .selectFrom('archive_mailboxes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The mailboxes already holding any of these addresses. */
  findAddressHolders(
    tenantId: number,
    addresses: readonly string[],
  ): Promise<Array<{ address: string; mailboxId: number; name: string }>> {
    if (addresses.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('mailbox_addresses as a')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'a.mailbox_id')
      .select(['a.address as address', 'mb.id as mailboxId', 'mb.name as name'])
      .where('a.tenant_id', '=', tenantId)
      .where('a.address', 'in', [...addresses])
      .execute();
  }

  insert(
    tenantId: number,
    mailbox: Pick<ArchiveMailbox, 'name' | 'kind' | 'primary_address'> & MailboxLinks & { now: number },
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('archive_mailboxes')
        .values({
          tenant_id: tenantId,
          name: mailbox.name,
          kind: mailbox.kind,
          primary_address: mailbox.primary_address,
          created_at: mailbox.now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await replaceLinks(trx, tenantId, id, mailbox);
      return id;
    });
  }

  /** Fields left undefined are kept; each list given replaces the whole list. */
  async update(
    tenantId: number,
    id: number,
    patch: Partial<Pick<ArchiveMailbox, 'name' | 'kind' | 'primary_address'> & MailboxLinks>,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const set = { name: patch.name, kind: patch.kind, primary_address: patch.primary_address };
      if (Object.values(set).some((v) => v !== undefined)) {
        await trx
          .updateTable('archive_mailboxes')
          .set(set)
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
      }
      await replaceLinks(trx, tenantId, id, patch);
    });
  }

  /**
   * Deletes the mailbox (folders, addresses, owners and shares cascade) unless it holds messages;
   * counted in the same transaction, so a message archived meanwhile is not orphaned.
   */
  deleteIfEmpty(tenantId: number, id: number): Promise<{ deleted: boolean; messages: number }> {
    return this.db.transaction().execute(async (trx) => {
      // The ingest commit updates mailbox_counts in its own transaction: no message slips past.
      const counts = await trx
        .selectFrom('mailbox_counts')
        .select('messages')
        .where('tenant_id', '=', tenantId)
        .where('mailbox_id', '=', id)
        .executeTakeFirst();
      const messages = Number(counts?.messages ?? 0);
      if (messages > 0) return { deleted: false, messages };
      await trx
        .deleteFrom('archive_mailboxes')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      return { deleted: true, messages };
    });
  }
}
