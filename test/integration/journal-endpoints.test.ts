import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { JournalEndpointsRepository } from '../../src/ingest/journal/journal-endpoints.repository.js';
import {
  JournalEndpointsService,
  newAddressToken,
} from '../../src/ingest/journal/journal-endpoints.service.js';
import type { AuthContext } from '../../src/tenancy/access.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OPERATOR = { kind: 'system' as const, name: 'test' };

describe('journal endpoints against a real database', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  let repository: JournalEndpointsRepository;
  let now: number;
  let service: JournalEndpointsService;
  let ctx: AuthContext;

  beforeEach(async () => {
    dir = tempDir('postvault-journal-');
    app = await openTempApp(dir.path, { POSTVAULT_JOURNAL_DOMAIN: 'journal.example.com' });
    repository = new JournalEndpointsRepository(app.database.db);
    now = Date.UTC(2026, 10, 24, 12, 30);
    service = new JournalEndpointsService({
      endpoints: repository,
      mailboxes: app.admin.mailboxes,
      audit: app.audit,
      journalDomain: 'journal.example.com',
      clock: () => now,
    });
    const tenant = await app.tenants.createTenant('acme', 'Acme');
    ctx = { tenantId: tenant.id, actor: OPERATOR };
  });

  afterEach(async () => {
    await app.close();
    dir.remove();
  });

  it('makes addresses of 20 lower-case base32 characters, all different', () => {
    const tokens = Array.from({ length: 200 }, () => newAddressToken());
    for (const token of tokens) expect(token).toMatch(/^[a-z2-7]{20}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('recordReceived adds up per hour, counts 24 hours and 30 days, and keeps the latest time', async () => {
    const endpoint = await service.create(ctx, { name: 'M365', newMailbox: { name: 'Journal' } });
    await repository.recordReceived([{ endpointId: endpoint.id, at: now, count: 2 }]);
    await repository.recordReceived([{ endpointId: endpoint.id, at: now - 10 * 60_000, count: 1 }]);
    await repository.recordReceived([{ endpointId: endpoint.id, at: now - 5 * HOUR, count: 1 }]);
    await repository.recordReceived([{ endpointId: endpoint.id, at: now - 2 * DAY, count: 4 }]);
    await repository.recordReceived([{ endpointId: endpoint.id, at: now - 31 * DAY, count: 100 }]);
    await repository.recordReceived([{ endpointId: endpoint.id, at: now, count: 0 }]);

    const hours = await app.database.db
      .selectFrom('journal_endpoint_hourly')
      .select(['hour', 'messages'])
      .where('endpoint_id', '=', endpoint.id)
      .orderBy('hour')
      .execute();
    expect(hours).toEqual([
      { hour: Math.floor((now - 31 * DAY) / HOUR), messages: 100 },
      { hour: Math.floor((now - 2 * DAY) / HOUR), messages: 4 },
      { hour: Math.floor((now - 5 * HOUR) / HOUR), messages: 1 },
      { hour: Math.floor(now / HOUR), messages: 3 },
    ]);
    const [listed] = await service.list(ctx);
    expect(listed).toMatchObject({ messages24h: 4, messages30d: 8, lastReceivedAt: now });
  });

  it('findEnabledByAddress matches the token in any case, on the journal domain only, enabled only', async () => {
    const endpoint = await service.create(ctx, { name: 'M365', newMailbox: { name: 'Journal' } });
    const [token] = endpoint.address.split('@');
    const expected = {
      endpointId: endpoint.id,
      tenantId: ctx.tenantId,
      mailboxId: endpoint.mailbox.id,
      name: 'M365',
    };
    expect(await service.findEnabledByAddress(endpoint.address)).toEqual(expected);
    expect(await service.findEnabledByAddress(`${token!.toUpperCase()}@Journal.Example.COM`)).toEqual(
      expected,
    );
    expect(await service.findEnabledByAddress(`<${endpoint.address}>`)).toEqual(expected);
    expect(await service.findEnabledByAddress(`${token}@journal.example.com.`)).toEqual(expected);
    expect(await service.findEnabledByAddress(`${token}@other.example.com`)).toBeUndefined();
    expect(await service.findEnabledByAddress(`${token}x@journal.example.com`)).toBeUndefined();
    expect(await service.findEnabledByAddress('journal.example.com')).toBeUndefined();
    await service.update(ctx, endpoint.id, { enabled: false });
    expect(await service.findEnabledByAddress(endpoint.address)).toBeUndefined();
  });

  it('lists silent endpoints: enabled, older than the window, nothing received in it', async () => {
    const quiet = await service.create(ctx, { name: 'Quiet', newMailbox: { name: 'Journal' } });
    const busy = await service.create(ctx, { name: 'Busy', mailboxId: quiet.mailbox.id });
    const off = await service.create(ctx, { name: 'Off', mailboxId: quiet.mailbox.id });
    await service.update(ctx, off.id, { enabled: false });
    now += 2 * DAY;
    const young = await service.create(ctx, { name: 'Young', mailboxId: quiet.mailbox.id });
    await repository.recordReceived([{ endpointId: busy.id, at: now - HOUR, count: 1 }]);
    await repository.recordReceived([{ endpointId: quiet.id, at: now - 3 * HOUR - DAY, count: 1 }]);
    expect(await service.silentEndpoints(ctx.tenantId, now - DAY)).toEqual([{ id: quiet.id, name: 'Quiet' }]);
    // Young is not silent yet: it has existed for less than the window.
    expect(young.createdAt).toBeGreaterThan(now - DAY);
  });

  it('keeps the mailbox while an endpoint uses it, and goes with its tenant', async () => {
    const endpoint = await service.create(ctx, { name: 'M365', newMailbox: { name: 'Journal' } });
    await repository.recordReceived([{ endpointId: endpoint.id, at: now, count: 1 }]);
    await expect(app.admin.mailboxes.delete(ctx, endpoint.mailbox.id)).rejects.toThrow(
      /used by the journal endpoint M365/,
    );
    // The database refuses too, whatever the service forgets.
    await expect(
      app.database.db.deleteFrom('archive_mailboxes').where('id', '=', endpoint.mailbox.id).execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
    await app.tenantManagement.delete({ tenantId: 0, actor: OPERATOR }, ctx.tenantId, 'acme');
    expect(await app.database.db.selectFrom('journal_endpoints').selectAll().execute()).toEqual([]);
    expect(await app.database.db.selectFrom('journal_endpoint_hourly').selectAll().execute()).toEqual([]);
  });
});
