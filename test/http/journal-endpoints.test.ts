import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';

const BASE = '/api/v1/admin/journal-endpoints';
const ADDRESS = /^[a-z2-7]{20}@journal\.example\.com$/;

describe('Admin Access API: journal endpoints', () => {
  let http: TempHttp;
  let admin: TestClient;
  let tenantId: number;
  beforeEach(async () => {
    http = await openTempHttp({ POSTVAULT_JOURNAL_DOMAIN: 'Journal.Example.com' });
    const created = await http.tenantWithAdmin('acme');
    admin = created.admin;
    tenantId = created.tenant.id;
  });
  afterEach(async () => {
    await http.close();
  });

  it('creates an endpoint with a new journal mailbox, lists, edits, regenerates and deletes it', async () => {
    const created = await admin.post(BASE, { name: 'Microsoft 365', newMailbox: { name: 'Journal' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Microsoft 365',
      mailbox: { name: 'Journal' },
      enabled: true,
      messages24h: 0,
      messages30d: 0,
      lastReceivedAt: null,
    });
    expect(created.body.address).toMatch(ADDRESS);
    const id = created.body.id as number;
    const mailboxes = (await admin.get('/api/v1/admin/mailboxes')).body.mailboxes;
    expect(mailboxes).toMatchObject([{ name: 'Journal', kind: 'journal' }]);

    const journal = http.app.admin.journalEndpoints;
    const found = await journal.findEnabledByAddress(created.body.address.toUpperCase());
    expect(found).toMatchObject({ endpointId: id, mailboxId: created.body.mailbox.id });

    await journal.recordReceived(id, Date.now(), 3);
    const listed = await admin.get(BASE);
    expect(listed.body.journalEndpoints).toMatchObject([
      { id, name: 'Microsoft 365', messages24h: 3, messages30d: 3 },
    ]);
    expect(listed.body.journalEndpoints[0].lastReceivedAt).toBeGreaterThan(0);

    const second = await admin.post('/api/v1/admin/mailboxes', { name: 'Journal 2', kind: 'journal' });
    const edited = await admin.patch(`${BASE}/${id}`, {
      name: 'M365',
      mailboxId: second.body.id,
      enabled: false,
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'M365', mailbox: { name: 'Journal 2' }, enabled: false });
    expect(await journal.findEnabledByAddress(created.body.address)).toBeUndefined();
    await admin.patch(`${BASE}/${id}`, { enabled: true });
    expect(await journal.findEnabledByAddress(created.body.address)).toBeDefined();

    const regenerated = await admin.post(`${BASE}/${id}/regenerate-address`);
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.address).toMatch(ADDRESS);
    expect(regenerated.body.address).not.toBe(created.body.address);
    expect(await journal.findEnabledByAddress(created.body.address)).toBeUndefined();
    expect((await journal.findEnabledByAddress(regenerated.body.address))?.endpointId).toBe(id);

    // The mailbox an endpoint delivers into cannot be deleted; the one it left can.
    const blocked = await admin.delete(`/api/v1/admin/mailboxes/${second.body.id}`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toContain('journal endpoint M365');
    expect((await admin.delete(`/api/v1/admin/mailboxes/${created.body.mailbox.id}`)).status).toBe(204);

    expect((await admin.delete(`${BASE}/${id}`)).status).toBe(204);
    expect((await admin.get(`${BASE}/${id}`)).status).toBe(404);
    expect((await admin.delete(`/api/v1/admin/mailboxes/${second.body.id}`)).status).toBe(204);

    const auditor = await admin.post('/api/v1/admin/users', { name: 'auditor' });
    await admin.post('/api/v1/admin/groups', {
      name: 'Auditors',
      roles: ['auditor'],
      memberIds: [auditor.body.user.id],
    });
    const client = http.client();
    await client.signInTenant('auditor@acme', auditor.body.password);
    const entries = (await client.get('/api/v1/audit?action=journal-endpoint.')).body.entries as Array<{
      action: string;
      details: unknown;
    }>;
    expect(entries.map((e) => e.action).reverse()).toEqual([
      'journal-endpoint.create',
      'journal-endpoint.update',
      'journal-endpoint.update',
      'journal-endpoint.address.regenerate',
      'journal-endpoint.delete',
    ]);
    // Neither the first nor the regenerated address reaches the log: each is a credential.
    expect(JSON.stringify(entries)).not.toContain(regenerated.body.address.split('@')[0]);
    expect(JSON.stringify(entries)).not.toContain(created.body.address.split('@')[0]);
  });

  it('explains invalid input by field', async () => {
    const user = await admin.post('/api/v1/admin/mailboxes', { name: 'bob', kind: 'user' });
    const missingName = await admin.post(BASE, { mailboxId: user.body.id });
    expect(missingName.status).toBe(400);
    expect(missingName.body.details.issues[0].path).toBe('name');
    const noMailbox = await admin.post(BASE, { name: 'x' });
    expect(noMailbox.status).toBe(400);
    expect(noMailbox.body.details.issues[0].path).toBe('mailboxId');
    const both = await admin.post(BASE, { name: 'x', mailboxId: user.body.id, newMailbox: { name: 'J' } });
    expect(both.status).toBe(400);
    const notJournal = await admin.post(BASE, { name: 'x', mailboxId: user.body.id });
    expect(notJournal.status).toBe(400);
    expect(notJournal.body.message).toMatch(/bob is a user mailbox/);
    const unknown = await admin.post(BASE, { name: 'x', mailboxId: 999_999 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details.issues[0].path).toBe('mailboxId');
    const blankMailbox = await admin.post(BASE, { name: 'x', newMailbox: { name: ' ' } });
    expect(blankMailbox.status).toBe(400);
    const badEnabled = await admin.post(BASE, { name: 'x', newMailbox: { name: 'J' } });
    expect(badEnabled.status).toBe(201);
    expect((await admin.patch(`${BASE}/${badEnabled.body.id}`, { enabled: 'yes' })).status).toBe(400);
    const taken = await admin.post(BASE, { name: 'x', mailboxId: badEnabled.body.mailbox.id });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toMatch(/x already exists/);
    const mailboxTaken = await admin.post(BASE, { name: 'y', newMailbox: { name: 'J' } });
    expect(mailboxTaken.status).toBe(409);
    expect((await admin.get(BASE)).body.journalEndpoints).toHaveLength(1);
  });

  it('keeps endpoints to their tenant and their admins', async () => {
    const other = await http.tenantWithAdmin('other');
    const theirs = await other.admin.post(BASE, { name: 'Theirs', newMailbox: { name: 'Journal' } });
    const url = `${BASE}/${theirs.body.id}`;
    expect((await admin.get(url)).status).toBe(404);
    expect((await admin.patch(url, { enabled: false })).status).toBe(404);
    expect((await admin.post(`${url}/regenerate-address`)).status).toBe(404);
    expect((await admin.delete(url)).status).toBe(404);
    expect((await admin.get(BASE)).body.journalEndpoints).toEqual([]);
    const mine = await admin.post('/api/v1/admin/mailboxes', { name: 'Mine', kind: 'journal' });
    expect((await other.admin.patch(url, { mailboxId: mine.body.id })).status).toBe(400);
    expect((await other.admin.get(url)).body).toMatchObject({ enabled: true, name: 'Theirs' });

    const reader = await admin.post('/api/v1/admin/users', { name: 'reader' });
    const client = http.client();
    await client.signInTenant('reader@acme', reader.body.password);
    expect((await client.get(BASE)).status).toBe(403);
    expect((await http.client().get(BASE)).status).toBe(401);
  });

  it('reports an enabled endpoint that received nothing for a day on the dashboard', async () => {
    const quiet = await admin.post(BASE, { name: 'Quiet', newMailbox: { name: 'Journal' } });
    const busy = await admin.post(BASE, { name: 'Busy', mailboxId: quiet.body.mailbox.id });
    const off = await admin.post(BASE, { name: 'Off', mailboxId: quiet.body.mailbox.id });
    await admin.patch(`${BASE}/${off.body.id}`, { enabled: false });
    await http.app.database.db
      .updateTable('journal_endpoints')
      .set({ created_at: Date.now() - 2 * 86_400_000 })
      .execute();
    await http.app.admin.journalEndpoints.recordReceived(busy.body.id, Date.now() - 3_600_000);
    const { inconsistencies } = (await admin.get('/api/v1/admin/dashboard')).body;
    expect(inconsistencies.filter((i: { code: string }) => i.code === 'JOURNAL_ENDPOINT_SILENT')).toEqual([
      {
        code: 'JOURNAL_ENDPOINT_SILENT',
        params: { endpointId: quiet.body.id, name: 'Quiet' },
        link: `/adminaccess/journal-endpoints/${quiet.body.id}`,
      },
    ]);
  });

  it('keeps a journal mailbox a journal mailbox while an endpoint delivers into it', async () => {
    const created = await admin.post(BASE, { name: 'M365', newMailbox: { name: 'Journal' } });
    expect(created.status).toBe(201);
    const mailboxId = created.body.mailbox.id;
    const changed = await admin.patch(`/api/v1/admin/mailboxes/${mailboxId}`, { kind: 'user' });
    expect(changed.status).toBe(409);
    expect(changed.body.message).toMatch(/M365/);
    expect((await admin.delete(`${BASE}/${created.body.id}`)).status).toBe(204);
    expect((await admin.patch(`/api/v1/admin/mailboxes/${mailboxId}`, { kind: 'user' })).status).toBe(200);
  });

  it("stops matching a suspended tenant's addresses", async () => {
    const created = await admin.post(BASE, { name: 'M365', newMailbox: { name: 'Journal' } });
    const journal = http.app.admin.journalEndpoints;
    expect(await journal.findEnabledByAddress(created.body.address)).toBeDefined();
    const system = await http.systemClient();
    await system.post(`/api/v1/system/tenants/${tenantId}/suspend`);
    expect(await journal.findEnabledByAddress(created.body.address)).toBeUndefined();
  });
});
