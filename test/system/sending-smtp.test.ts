/* eslint-disable @typescript-eslint/no-explicit-any -- answers are untyped JSON that the tests inspect freely */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';
import { corpusDir } from '../support/paths.js';
import { startPostfixCapture } from '../support/postfix-capture.js';
import { freePort } from '../support/server-process.js';

type Capture = Awaited<ReturnType<typeof startPostfixCapture<{ plain: any; starttls: any; smtps: any }>>>;

/**
 * Mail sending over SMTP against a real Postfix (scripts/postfix-capture.sh): plain, STARTTLS and
 * implicit TLS, SASL authentication, SMTPUTF8 to 山田太郎@株式.会社 and its refusal with RFC 6532 off,
 * Resend byte for byte, a tenant's own server, retry after a refused connection, a permanent failure
 * in the process log, and a support request with system information.
 */
describe('mail sending over SMTP (a real Postfix)', () => {
  let capture: Capture;
  let http: TempHttp;
  let system: TestClient;
  let admin: TestClient;
  let tenant: { id: number; slug: string };

  beforeAll(async () => {
    capture = (await startPostfixCapture()) as Capture;
    // The capture's self-signed certificate is trusted as an extra CA (sending.caFile).
    // The capture listens on loopback, so tenants' own servers may be private here.
    http = await openTempHttp({
      POSTVAULT_SMTP_CA_FILE: capture.certificateFile,
      POSTVAULT_SENDING_ALLOW_PRIVATE_HOSTS: 'true',
    });
    system = await http.systemClient();
    ({ admin, tenant } = await http.tenantWithAdmin('acme'));
  }, 120_000);

  afterAll(async () => {
    await http?.close();
    await capture?.stop();
  });

  beforeEach(() => capture.clear());

  const useSystemServer = (settings: Record<string, unknown>) =>
    system.put('/api/v1/system/mail-server', {
      enabled: true,
      host: '127.0.0.1',
      senderAddress: 'archive@postvault.test',
      senderName: 'Postvault Archive',
      smtputf8: false,
      ...settings,
    });

  it('sends a test mail over plain SMTP and shows the server’s reply', async () => {
    await useSystemServer({ authentication: 'none', port: capture.ports.plain, encryption: 'none' });
    const result = await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' });
    expect(result.body).toMatchObject({ sent: true, transport: 'system-smtp' });
    expect(result.body.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const [message] = await capture.waitForMessages(1);
    expect(message).toMatchObject({
      sender: 'archive@postvault.test',
      recipients: ['ops@example.org'],
      tls: null,
      auth: null,
    });
    expect(message!.raw.toString()).toMatch(/^From: Postvault Archive <archive@postvault\.test>\r$/m);
    // Through the system's server a tenant learns that it was accepted, not the server's reply.
    const tenantTest = await admin.post('/api/v1/admin/sending/test', { to: 'ops@example.org' });
    expect(tenantTest.body).toEqual({
      sent: true,
      transport: 'system-smtp',
      response: "accepted by the system's mail server",
    });
    await capture.waitForMessages(2);
  });

  it('authenticates over STARTTLS and over implicit TLS, and reports a refused password', async () => {
    const credentials = {
      authentication: 'password',
      username: capture.username,
      password: capture.password,
    };
    await useSystemServer({ ...credentials, port: capture.ports.starttls, encryption: 'starttls' });
    expect((await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' })).body.sent).toBe(
      true,
    );
    await useSystemServer({ ...credentials, port: capture.ports.smtps, encryption: 'tls' });
    expect((await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' })).body.sent).toBe(
      true,
    );
    const [starttls, implicit] = await capture.waitForMessages(2);
    expect(starttls!.tls?.mode).toBe('starttls');
    expect(implicit!.tls?.mode).toBe('implicit');
    for (const message of [starttls!, implicit!]) expect(message.auth?.username).toBe(capture.username);

    await useSystemServer({ password: 'not-the-password' });
    const refused = await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' });
    expect(refused.body).toMatchObject({ sent: false, transport: 'system-smtp' });
    expect(refused.body.detail).toMatch(/535/);
    // Encryption "none" against a port that requires STARTTLS is refused by the server, not weakened.
    await useSystemServer({
      ...credentials,
      authentication: 'none',
      port: capture.ports.starttls,
      encryption: 'none',
    });
    const plain = await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' });
    expect(plain.body.sent).toBe(false);
    expect(plain.body.detail).toMatch(/530/);
  });

  it('sends to 山田太郎@株式.会社 with SMTPUTF8 when RFC 6532 is on, and refuses before sending when off', async () => {
    await useSystemServer({
      authentication: 'none',
      port: capture.ports.plain,
      encryption: 'none',
      smtputf8: false,
    });
    const refused = await system.post('/api/v1/system/mail-server/test', { to: '山田太郎@株式.会社' });
    expect(refused.body).toMatchObject({ sent: false });
    expect(refused.body.error).toMatch(/internationalized address.*RFC 6532/);
    await useSystemServer({ smtputf8: true });
    const sent = await system.post('/api/v1/system/mail-server/test', { to: '山田太郎@株式.会社' });
    expect(sent.body.sent).toBe(true);
    const messages = await capture.waitForMessages(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.smtputf8).toBe(true);
    expect(messages[0]!.recipients).toEqual(['山田太郎@株式.会社']);
  });

  it("resends an archived message byte for byte through the tenant's own server", async () => {
    await system.put('/api/v1/system/mail-server', { enabled: true });
    const own = await admin.put('/api/v1/admin/sending', {
      type: 'smtp',
      smtp: {
        host: '127.0.0.1',
        port: capture.ports.starttls,
        encryption: 'starttls',
        username: capture.username,
        password: capture.password,
      },
      senderAddress: 'archive@acme.test',
      smtputf8: true,
    });
    expect(own.body.route).toEqual({ available: true, via: 'tenant', kind: 'smtp' });
    const me = (await admin.get('/api/v1/auth/session')).body.user.id;
    const mailbox = await admin.post('/api/v1/admin/mailboxes', {
      name: 'mine',
      kind: 'user',
      ownerIds: [me],
    });
    const files = [
      'tika/testRFC822_date_utf8',
      'mime4j/russian-headers.msg',
      'tika/testRFC822_multipart_attachments.eml',
    ];
    const raws = files.map((f) => readFileSync(join(corpusDir, f)));
    const outcomes = await http.app.archive.archiveBatch(
      { tenantId: tenant.id },
      mailbox.body.id,
      raws.map((raw, i) => ({ raw, folderPath: 'Inbox', sourceRef: files[i]! })),
    );
    for (const outcome of outcomes) {
      const answer = await admin.post(`/api/v1/messages/${(outcome as any).messageId}/resend`, {
        to: 'me@acme.test',
      });
      expect(answer.status).toBe(202);
    }
    await http.app.sending.outgoing.start();
    const captured = await capture.waitForMessages(3);
    await http.app.sending.outgoing.stop();
    const byBytes = (raw: Buffer) => captured.find((m) => Buffer.compare(m.raw, toCrlf(raw)) === 0);
    for (const raw of raws) expect(byBytes(raw), 'a resent message arrived changed').toBeDefined();
    expect(captured.every((m) => m.sender === 'archive@acme.test' && m.auth !== null)).toBe(true);
    const log = await http.app.processLog.list(tenant.id, { limit: 10, process: 'mail-sending' });
    expect(log.filter((e) => e.message.startsWith('Sent resend to me@acme.test'))).toHaveLength(3);
  });

  it('retries after a refused connection, and records a permanent failure in the process log', async () => {
    // The tenant's own server is unreachable: the message waits and is retried…
    const closed = await freePort();
    await system.put('/api/v1/system/mail-server', { enabled: true });
    await admin.put('/api/v1/admin/sending', {
      type: 'smtp',
      smtp: { host: '127.0.0.1', port: closed, encryption: 'none', username: '', password: null },
      senderAddress: 'archive@acme.test',
    });
    await system.put('/api/v1/system/mail-server', {
      support: { address: 'support@vendor.test', attachSystemInfo: true },
    });
    const request = await admin.post('/api/v1/admin/support-requests', {
      subject: 'Export is slow',
      message: 'Exports of 10,000 messages take long.',
    });
    expect(request.status).toBe(202);
    await http.app.sending.outgoing.start();
    await expect
      .poll(
        async () =>
          (await http.app.processLog.list(tenant.id, { limit: 5, process: 'mail-sending' }))[0]?.severity,
        { timeout: 20_000 },
      )
      .toBe('warning');
    // …and goes out once the server is reachable (the route is resolved again for each attempt).
    await admin.put('/api/v1/admin/sending', { smtp: { port: capture.ports.plain } });
    await http.app.database.db
      .updateTable('outgoing_mail')
      .set({ not_before: 0 })
      .where('status', '=', 'queued')
      .execute();
    const [support] = await capture.waitForMessages(1, 30_000);
    const text = support!.raw.toString();
    expect(support!.recipients).toEqual(['support@vendor.test']);
    expect(text).toMatch(/^Subject: \[acme\] Export is slow\r$/m);
    expect(text).toContain('system-information.json');
    // The attachment is base64: decode it and look at what it says (and that no secret is in it).
    const attachment =
      /filename=system-information\.json\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(text);
    expect(attachment).not.toBeNull();
    const information = JSON.parse(
      Buffer.from(attachment![1]!.replace(/\r\n/g, ''), 'base64').toString('utf8'),
    );
    expect(information).toMatchObject({
      product: 'Postvault',
      tenant: { slug: 'acme' },
      usage: { mailboxes: expect.any(Number) },
      configuration: { sending: 'tenant-smtp' },
    });
    expect(JSON.stringify(information)).not.toMatch(/password|secret/i);

    // A permanent refusal (SASL login refused) ends the message and says so in the process log.
    await admin.put('/api/v1/admin/sending', {
      smtp: {
        port: capture.ports.starttls,
        encryption: 'starttls',
        username: capture.username,
        password: 'wrong',
      },
    });
    const again = await admin.post('/api/v1/admin/support-requests', {
      subject: 'Again',
      message: 'Please.',
    });
    expect(again.status).toBe(202);
    await expect
      .poll(
        async () =>
          (await http.app.processLog.list(tenant.id, { limit: 5, process: 'mail-sending' }))[0]?.severity,
        {
          timeout: 15_000,
        },
      )
      .toBe('error');
    const [failure] = await http.app.processLog.list(tenant.id, { limit: 1, process: 'mail-sending' });
    expect(failure!.message).toMatch(/Failed to send support request to support@vendor\.test/);
    expect(JSON.stringify(failure!.details_json)).toMatch(/535/);
    await http.app.sending.outgoing.stop();
  });
});

/** SMTP carries lines with CRLF; an archived message with bare LF arrives with CRLF. */
function toCrlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
