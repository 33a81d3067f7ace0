import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from './network.js';

describe('isPrivateAddress', () => {
  it('calls Internet addresses public, IPv4 and IPv6', () => {
    for (const address of ['8.8.8.8', '203.0.113.9', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(address), address).toBe(false);
  });

  it('calls loopback, private, link-local, shared and reserved addresses private, also in mapped form', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:a01:203',
      '64:ff9b::7f00:1',
    ])
      expect(isPrivateAddress(address), address).toBe(true);
  });
});
