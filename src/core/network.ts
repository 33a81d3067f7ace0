import { BlockList, isIP } from 'node:net';

/**
 * Addresses that are not on the public Internet: loopback, private and shared networks, link-local,
 * multicast and reserved ranges, and their IPv6 forms (mapped, NAT64, 6to4). A tenant's mail server
 * and a message's remote images must be out there, not on the machines next to Postvault.
 *
 * IPv4 and IPv6 live in separate lists: a BlockList holding an IPv6 subnet matches IPv4 addresses
 * through their mapped form, so `::ffff:0:0/96` in the same list would call every IPv4 address private.
 */
const PRIVATE_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE_V4.addSubnet(network, prefix, 'ipv4');

const PRIVATE_V6 = new BlockList();
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['64:ff9b::', 96],
  ['2002::', 16],
  ['ff00::', 8],
] as const)
  PRIVATE_V6.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d` or `::ffff:xxxx:yyyy`), or null. */
function mappedIpv4(address: string): string | null {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const high = Number.parseInt(hex[1]!, 16);
  const low = Number.parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) return PRIVATE_V4.check(address, 'ipv4');
  const mapped = mappedIpv4(address);
  if (mapped) return PRIVATE_V4.check(mapped, 'ipv4');
  return PRIVATE_V6.check(address, 'ipv6');
}
