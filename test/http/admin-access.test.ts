import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';

describe('Admin Access API', () => {
  let http: TempHttp;
  let admin: TestClient;
  let tenantId: number;
  beforeEach(async () => {
    http = await openTempHttp();
    const created = await http.tenantWithAdmin('acme');
    admin = created.admin;
    tenantId = created.tenant.id;
  });
  afterEach(async () => {
    await http.close();
  });

  it('manages users: create with a generated password shown once, edit, reset, delete', async () => {
    const created = await admin.post('/api/v1/admin/users', {
      name: 'Jane.Doe',
      displayName: 'Jane Doe',
      addresses: ['jane@acme.example', 'j.doe@acme.example'],
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      name: 'jane.doe',
      login: 'jane.doe@acme',
      primaryAddress: 'jane@acme.example',
      addresses: ['jane@acme.example', 'j.doe@acme.example'],
      origin: 'local',
      disabled: false,
    });
    const password = created.body.password as string;
    const id = created.body.user.id as number;
    const jane = http.client();
    await jane.signInTenant('jane.doe@acme', password);

    const listed = await admin.get('/api/v1/admin/users');
    expect(listed.body.users.map((u: { login: string }) => u.login).sort()).toEqual([
      'admin@acme',
      'jane.doe@acme',
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(password);

    const edited = await admin.patch(`/api/v1/admin/users/${id}`, { displayName: 'Jane D.', disabled: true });
    expect(edited.body).toMatchObject({ displayName: 'Jane D.', disabled: true });
    expect((await jane.get('/api/v1/auth/session')).status).toBe(401);
    await admin.patch(`/api/v1/admin/users/${id}`, { disabled: false });

    const reset = await admin.post(`/api/v1/admin/users/${id}/reset-password`);
    expect(reset.body.password).not.toBe(password);
    await http.client().signInTenant('jane.doe@acme', reset.body.password);
    expect((await admin.post(`/api/v1/admin/users/${id}/reset-totp`)).status).toBe(204);
    expect((await admin.get(`/api/v1/admin/users/${id}`)).body.totpEnabled).toBe(false);

    expect((await admin.delete(`/api/v1/admin/users/${id}`)).status).toBe(204);
    expect((await admin.get(`/api/v1/admin/users/${id}`)).status).toBe(404);
  });

  it('explains invalid user input by field', async () => {
    const badName = await admin.post('/api/v1/admin/users', { name: 'no spaces allowed' });
    expect(badName.status).toBe(400);
    expect(badName.body.message).toMatch(/name/);
    const badAddress = await admin.post('/api/v1/admin/users', { name: 'x', addresses: ['not-an-address'] });
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.message).toMatch(/not-an-address/);
    const missing = await admin.post('/api/v1/admin/users', {});
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('name');
    await admin.post('/api/v1/admin/users', { name: 'x', addresses: ['x@acme.example'] });
    const taken = await admin.post('/api/v1/admin/users', { name: 'y', addresses: ['X@acme.example'] });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toMatch(/x@acme\.example/);
  });

  it('manages groups and roles, and keeps the last admin', async () => {
    const user = await admin.post('/api/v1/admin/users', { name: 'reader' });
    const group = await admin.post('/api/v1/admin/groups', {
      name: 'Staff',
      description: 'everyone',
      memberIds: [user.body.user.id],
    });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({ name: 'Staff', roles: [], members: [{ login: 'reader@acme' }] });
    const withRoles = await admin.put(`/api/v1/admin/groups/${group.body.id}/roles`, { roles: ['reader'] });
    expect(withRoles.body.roles).toEqual(['reader']);
    expect(
      (await admin.put(`/api/v1/admin/groups/${group.body.id}/roles`, { roles: ['owner'] })).status,
    ).toBe(400);
    const reader = http.client();
    const session = await reader.signInTenant('reader@acme', user.body.password);
    expect(session.body.roles).toEqual(['reader']);
    // A reader is no admin: Admin Access API refuses, and the refusal is audited.
    const refused = await reader.get('/api/v1/admin/users');
    expect(refused.status).toBe(403);
    const renamed = await admin.patch(`/api/v1/admin/groups/${group.body.id}`, { name: 'All staff' });
    expect(renamed.body.name).toBe('All staff');
    const fetched = await admin.get(`/api/v1/admin/groups/${group.body.id}`);
    expect(fetched.body).toMatchObject({ name: 'All staff', roles: ['reader'] });
    expect((await admin.post('/api/v1/admin/groups', { name: 'All staff' })).status).toBe(409);
    expect((await admin.post('/api/v1/admin/groups', { name: '' })).status).toBe(400);

    const groups = await admin.get('/api/v1/admin/groups');
    const administrators = groups.body.groups.find((g: { roles: string[] }) => g.roles.includes('admin'));
    const lastAdmin = await admin.put(`/api/v1/admin/groups/${administrators.id}/roles`, { roles: [] });
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.message).toMatch(/last administrator/);
    expect((await admin.delete(`/api/v1/admin/groups/${administrators.id}`)).status).toBe(409);
    expect((await admin.delete(`/api/v1/admin/groups/${group.body.id}`)).status).toBe(204);
  });

  it('manages domains, archive mailboxes and write-only secrets', async () => {
    const domain = await admin.post('/api/v1/admin/domains', { name: 'Acme.Example' });
    expect(domain.body).toMatchObject({ name: 'acme.example', origin: 'local' });
    expect((await admin.post('/api/v1/admin/domains', { name: 'not a domain' })).status).toBe(400);
    expect((await admin.get('/api/v1/admin/domains')).body.domains).toHaveLength(1);
    expect((await admin.delete(`/api/v1/admin/domains/${domain.body.id}`)).status).toBe(204);

    const owner = await admin.post('/api/v1/admin/users', { name: 'owner' });
    const group = await admin.post('/api/v1/admin/groups', { name: 'Sales' });
    const mailbox = await admin.post('/api/v1/admin/mailboxes', {
      name: 'sales',
      kind: 'shared',
      primaryAddress: 'sales@acme.example',
      secondaryAddresses: ['vertrieb@acme.example'],
      ownerIds: [owner.body.user.id],
      sharedGroupIds: [group.body.id],
    });
    expect(mailbox.status).toBe(201);
    expect(mailbox.body).toMatchObject({
      kind: 'shared',
      primaryAddress: 'sales@acme.example',
      secondaryAddresses: ['vertrieb@acme.example'],
      owners: [{ login: 'owner@acme' }],
      sharedWith: [{ name: 'Sales' }],
      messages: 0,
    });
    await http.app.archive.archiveBatch({ tenantId }, mailbox.body.id, [
      { raw: Buffer.from('Subject: kept\r\n\r\nbody\r\n'), folderPath: 'Inbox', sourceRef: 'x' },
    ]);
    expect((await admin.get(`/api/v1/admin/mailboxes/${mailbox.body.id}`)).body.messages).toBe(1);
    const mailboxes = await admin.get('/api/v1/admin/mailboxes');
    expect(mailboxes.body.mailboxes.map((m: { name: string }) => m.name)).toEqual(['sales']);
    expect((await admin.delete(`/api/v1/admin/mailboxes/${mailbox.body.id}`)).status).toBe(409);
    const patched = await admin.patch(`/api/v1/admin/mailboxes/${mailbox.body.id}`, { ownerIds: [] });
    expect(patched.body.owners).toEqual([]);
    expect((await admin.post('/api/v1/admin/mailboxes', { name: 'x', kind: 'bogus' })).status).toBe(400);

    const secret = await admin.post('/api/v1/admin/secrets', {
      name: 'imap-service',
      kind: 'password',
      username: 'svc',
      password: 'very-secret-value',
    });
    expect(secret.status).toBe(201);
    expect(secret.body).toMatchObject({ name: 'imap-service', isSet: true, inUse: false, username: 'svc' });
    const all = JSON.stringify((await admin.get('/api/v1/admin/secrets')).body);
    expect(all).not.toContain('very-secret-value');
    const sealed = http.app.database.sqlite.prepare('select sealed from secrets').get() as { sealed: Buffer };
    expect(sealed.sealed.includes(Buffer.from('very-secret-value'))).toBe(false);
    const changed = await admin.patch(`/api/v1/admin/secrets/${secret.body.id}`, {
      password: 'another-value',
    });
    expect(changed.status).toBe(200);
    expect((await admin.delete(`/api/v1/admin/secrets/${secret.body.id}`)).status).toBe(204);
  });

  it('shows the dashboard with counts, volume and inconsistencies', async () => {
    const dashboard = await admin.get('/api/v1/admin/dashboard');
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.tenant).toMatchObject({ id: tenantId, slug: 'acme' });
    expect(dashboard.body.volume.daily).toHaveLength(30);
    expect(dashboard.body.jobs).toEqual({ running: 0, failed24h: 0 });
    const codes = dashboard.body.inconsistencies.map((i: { code: string }) => i.code);
    expect(codes).toContain('ONLY_PROVISIONED_ADMIN');
    expect(codes).toContain('USER_WITHOUT_READER');
  });

  it('lists ten users without the Reader role at most, and counts the rest', async () => {
    for (let i = 0; i < 12; i++) await admin.post('/api/v1/admin/users', { name: `user${i}` });
    const { inconsistencies } = (await admin.get('/api/v1/admin/dashboard')).body;
    const codes = inconsistencies.map((i: { code: string }) => i.code);
    expect(codes.filter((c: string) => c === 'USER_WITHOUT_READER')).toHaveLength(10);
    // 13 users without Reader: the provisioned admin and the twelve new ones.
    expect(inconsistencies.find((i: { code: string }) => i.code === 'MORE_USERS_WITHOUT_READER')).toEqual({
      code: 'MORE_USERS_WITHOUT_READER',
      params: { count: 3 },
      link: '/adminaccess/users',
    });
  });

  it('opens the audit log to auditors only, with filters', async () => {
    expect((await admin.get('/api/v1/audit')).status).toBe(403);
    const auditor = await admin.post('/api/v1/admin/users', { name: 'auditor' });
    await admin.post('/api/v1/admin/groups', {
      name: 'Auditors',
      roles: ['auditor'],
      memberIds: [auditor.body.user.id],
    });
    const client = http.client();
    await client.signInTenant('auditor@acme', auditor.body.password);
    const all = await client.get('/api/v1/audit');
    expect(all.status).toBe(200);
    const actions = all.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toContain('group.create');
    expect(actions).toContain('authorization');
    const denied = all.body.entries.find((e: { action: string }) => e.action === 'authorization');
    expect(denied).toMatchObject({ outcome: 'denied', actor: { name: 'admin@acme' } });
    const onlyUsers = await client.get('/api/v1/audit?action=user.&limit=1');
    expect(onlyUsers.body.entries).toHaveLength(1);
    expect(onlyUsers.body.entries[0].action).toMatch(/^user\./);
    expect(onlyUsers.body.nextBefore).not.toBeNull();
    // The auditor is not an admin.
    expect((await client.get('/api/v1/admin/users')).status).toBe(403);
  });
});
