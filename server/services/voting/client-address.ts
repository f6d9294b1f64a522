/**
 * Turns a client address into a salted hash, so no raw IP address is ever stored. IPv6 addresses are grouped
 * by their /56 prefix (one household or subscriber usually gets a /56 or /64), IPv4-mapped ones become IPv4.
 */
import { createHmac } from 'node:crypto';
import net from 'node:net';

export function addressGroup(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (net.isIPv4(address)) return address;
  if (!net.isIPv6(address)) return 'unknown';
  return `${expandIpv6(address).slice(0, 14)}::/56`;
}

/** Full 32-hex-digit form of an IPv6 address, without separators. */
function expandIpv6(address: string): string {
  const withoutZone = address.split('%')[0]!;
  const [head = '', tail = ''] = withoutZone.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  let headParts = parts(head);
  let tailParts = parts(tail);
  // An embedded IPv4 tail (e.g. 64:ff9b::1.2.3.4) counts as two groups.
  const lastOf = (list: string[]) => list[list.length - 1] ?? '';
  const ipv4ToGroups = (v4: string) => {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  if (net.isIPv4(lastOf(tailParts))) tailParts = [...tailParts.slice(0, -1), ...ipv4ToGroups(lastOf(tailParts))];
  else if (!withoutZone.includes('::') && net.isIPv4(lastOf(headParts))) headParts = [...headParts.slice(0, -1), ...ipv4ToGroups(lastOf(headParts))];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = withoutZone.includes('::') ? [...headParts, ...Array<string>(missing).fill('0'), ...tailParts] : headParts;
  return groups.map((g) => g.padStart(4, '0')).join('');
}

/** The keyed hash of an IPv6 address's /48 (one site), for the vote limiter; undefined for IPv4 and the rest. */
export function hashClientSite(address: string | undefined, secret: string): string | undefined {
  const group = addressGroup(address);
  if (!group.endsWith('::/56')) return undefined;
  return createHmac('sha256', secret).update(`site:${group.slice(0, 12)}::/48`).digest().toString('base64url', 0, 17).slice(0, 22);
}

export function hashClientAddress(address: string | undefined, secret: string): string {
  // The first 22 characters of the digest in base64url, cut from 17 bytes rather than all 32: the slice keeps
  // what it was cut from alive while the rate limiter remembers it.
  return createHmac('sha256', secret).update(`client:${addressGroup(address)}`).digest().toString('base64url', 0, 17).slice(0, 22);
}
