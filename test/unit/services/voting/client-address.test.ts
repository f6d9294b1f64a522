import { describe, expect, it } from 'vitest';
import { addressGroup, hashClientAddress, hashClientSite } from '../../../../server/services/voting/client-address.js';

const secret = 'test-secret-test-secret-test-secret-0123';

describe('client addresses', () => {
  it('groups IPv6 by /56 for a client and by /48 for its site; IPv4 has no site', () => {
    expect(addressGroup('2001:db8:1:100::1')).toBe('20010db8000101::/56');
    const a = '2001:db8:1:100::1';
    const sameClient = '2001:db8:1:1ff::2';
    const sameSite = '2001:db8:1:200::1';
    const otherSite = '2001:db8:2:100::1';
    expect(hashClientAddress(a, secret)).toBe(hashClientAddress(sameClient, secret));
    expect(hashClientAddress(a, secret)).not.toBe(hashClientAddress(sameSite, secret));
    expect(hashClientSite(a, secret)).toBe(hashClientSite(sameSite, secret));
    expect(hashClientSite(a, secret)).not.toBe(hashClientSite(otherSite, secret));
    // The site hash is not the client hash of anything (a different key).
    expect(hashClientSite(a, secret)).not.toBe(hashClientAddress(a, secret));
    expect(hashClientSite('198.51.100.7', secret)).toBeUndefined();
    expect(hashClientSite('::ffff:198.51.100.7', secret)).toBeUndefined();
    expect(hashClientSite(undefined, secret)).toBeUndefined();
  });
});
