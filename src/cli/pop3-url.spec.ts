import { describe, expect, it } from 'vitest';
import { parsePop3Url } from './archive.commands.js';

describe('parsePop3Url', () => {
  it('reads the mailbox address from the user part (%40 or a bare @), the host and the default ports', () => {
    expect(parsePop3Url('pop3s://x7k2%40gateway.example@127.0.0.1:1995')).toEqual({
      security: 'tls',
      host: '127.0.0.1',
      port: 1995,
      user: 'x7k2@gateway.example',
      label: 'pop3s://127.0.0.1:1995',
    });
    expect(parsePop3Url('pop3s://x7k2@gateway.example@gw.example.com')).toMatchObject({
      user: 'x7k2@gateway.example',
      host: 'gw.example.com',
      port: 995,
    });
    expect(parsePop3Url('POP3://[::1]/', 'a@b.example')).toMatchObject({
      security: 'stls',
      host: '::1',
      port: 110,
      user: 'a@b.example',
    });
  });

  it('refuses a password in the URL, a missing user, a path and conflicting users', () => {
    expect(() => parsePop3Url('pop3s://a%40b:secret@h')).toThrow(/POSTVAULT_POP3_PASSWORD/);
    expect(() => parsePop3Url('pop3s://h:995')).toThrow(/user .* is missing/);
    expect(() => parsePop3Url('pop3s://a%40b@h/INBOX')).toThrow(/nothing after HOST:PORT/);
    expect(() => parsePop3Url('pop3s://a%40b@h', 'c@d')).toThrow(/given twice/);
  });
});
