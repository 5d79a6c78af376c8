import { describe, expect, it } from 'vitest';
import { clientKey } from '../../src/server/client-key.js';

describe('the client a request is counted against', () => {
  it('IPv4 as is; IPv4-mapped IPv6 as its IPv4; IPv6 by its /64, however it is written; anything else one bucket', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    // One host holds a whole /64: every address in it is one client.
    const a = clientKey('2001:db8:1:2::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(a);
    expect(clientKey('2001:DB8:1:2:0:0:0:9')).toBe(a);
    expect(clientKey('2001:db8:1:3::1')).not.toBe(a);
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('not an address')).toBe('unknown');
  });
});
