import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { SystemMailSettingsTable, TenantMailSettingsTable } from '../db/schema.js';

export type SystemMailSettingsRow = Selectable<SystemMailSettingsTable>;
export type TenantMailSettingsRow = Selectable<TenantMailSettingsTable>;

const SYSTEM_ROW = 1;

/** What a tenant has before anyone configured anything: no own sending. */
export function defaultTenantMailSettings(tenantId: number): TenantMailSettingsRow {
  return {
    tenant_id: tenantId,
    type: 'none',
    smtp_host: '',
    smtp_port: 25,
    smtp_encryption: 'none',
    smtp_username: '',
    smtp_password_sealed: null,
    sender_address: '',
    sender_name: '',
    smtputf8: 0,
    m365_tenant_id: '',
    m365_sender_id: '',
    m365_sender_address: '',
    m365_connected_by: '',
    support_address: '',
    updated_at: 0,
  };
}

export const DEFAULT_SYSTEM_MAIL_SETTINGS: SystemMailSettingsRow = {
  id: SYSTEM_ROW,
  enabled: 0,
  authentication: 'none',
  host: '',
  port: 25,
  encryption: 'none',
  username: '',
  password_sealed: null,
  graph_tenant_id: '',
  graph_client_id: '',
  graph_client_secret_sealed: null,
  sender_address: '',
  sender_name: '',
  smtputf8: 0,
  support_address: '',
  allow_tenant_support_address: 0,
  attach_system_info: 1,
  updated_at: 0,
};

/** The system's mail server (one row) and each tenant's own sending settings and policy. */
export class MailSettingsRepository {
  constructor(private readonly db: Db) {}

  async system(): Promise<SystemMailSettingsRow> {
    const row = await this.db
      .selectFrom('system_mail_settings')
      .selectAll()
      .where('id', '=', SYSTEM_ROW)
      .executeTakeFirst();
    return row ?? DEFAULT_SYSTEM_MAIL_SETTINGS;
  }

  async saveSystem(row: SystemMailSettingsRow): Promise<void> {
    await this.db
      .insertInto('system_mail_settings')
      .values({ ...row, id: SYSTEM_ROW })
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, id: SYSTEM_ROW }))
      .execute();
  }

  async tenant(tenantId: number): Promise<TenantMailSettingsRow> {
    const row = await this.db
      .selectFrom('tenant_mail_settings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ?? defaultTenantMailSettings(tenantId);
  }

  async saveTenant(row: TenantMailSettingsRow): Promise<void> {
    await this.db
      .insertInto('tenant_mail_settings')
      .values(row)
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
      .execute();
  }

  async policy(
    tenantId: number,
  ): Promise<{ mayUseSystemServer: boolean; mayConfigureOwn: boolean } | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .select(['may_use_system_mail', 'may_configure_own_mail'])
      .where('id', '=', tenantId)
      .executeTakeFirst();
    return (
      row && {
        mayUseSystemServer: row.may_use_system_mail === 1,
        mayConfigureOwn: row.may_configure_own_mail === 1,
      }
    );
  }

  async savePolicy(
    tenantId: number,
    changes: Updateable<{ may_use_system_mail: number; may_configure_own_mail: number }>,
  ) {
    await this.db.updateTable('tenants').set(changes).where('id', '=', tenantId).execute();
  }
}
