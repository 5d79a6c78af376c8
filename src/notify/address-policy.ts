import { isIP } from 'node:net';

/**
 * Which addresses an owner's webhook may reach: the public internet only.
 * An owner picks the URL, so without this a webhook is a way to make the
 * service POST into its own network (cloud metadata at 169.254.169.254,
 * Redis on loopback, admin panels on 10.x). Pure: the guard in
 * safe-webhook.ts applies it to every address DNS gives and to the socket's
 * peer. Addresses that wrap an IPv4 address (mapped, NAT64, 6to4) are judged
 * by the address they wrap.
 */

interface Range {
  bytes: number[];
  bits: number;
  why: string;
}

const v4 = (text: string, bits: number, why: string): Range => ({ bytes: text.split('.').map(Number), bits, why });

const IPV4_RANGES: Range[] = [
  v4('0.0.0.0', 8, 'this network'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'carrier-grade NAT'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local (cloud metadata)'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'IETF protocol assignments'),
  v4('192.0.2.0', 24, 'documentation'),
  v4('192.88.99.0', 24, '6to4 relay'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'benchmarking'),
  v4('198.51.100.0', 24, 'documentation'),
  v4('203.0.113.0', 24, 'documentation'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'),
];

const v6 = (text: string, bits: number, why: string): Range => ({ bytes: [...parseIPv6(text)!], bits, why });

const IPV6_RANGES: Range[] = [
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  v6('::', 96, 'IPv4-compatible (deprecated)'),
  v6('64:ff9b:1::', 48, 'local-use NAT64'),
  v6('100::', 64, 'discard-only'),
  v6('2001::', 32, 'Teredo'),
  v6('2001:db8::', 32, 'documentation'),
  v6('fc00::', 7, 'unique local (private)'),
  v6('fe80::', 10, 'link-local'),
  v6('fec0::', 10, 'site-local'),
  v6('ff00::', 8, 'multicast'),
];

/** Why the address may not be reached, or null when it is a public address. Anything that does not parse is refused. */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address.split('%')[0]!);
  if (family === 4) return judgeIPv4(parseIPv4(address)!);
  if (family !== 6) return 'not an IP address';
  const bytes = parseIPv6(address.split('%')[0]!);
  if (!bytes) return 'not an IP address';
  // Wrappers of an IPv4 address reach that address: judge it.
  if (startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) return judgeIPv4(bytes.subarray(12));
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return judgeIPv4(bytes.subarray(12));
  if (startsWith(bytes, [0x20, 0x02], 16)) return judgeIPv4(bytes.subarray(2, 6));
  return firstMatch(bytes, IPV6_RANGES);
}

function judgeIPv4(bytes: Uint8Array): string | null {
  if (bytes.every((b) => b === 255)) return 'broadcast';
  return firstMatch(bytes, IPV4_RANGES);
}

function firstMatch(bytes: Uint8Array, ranges: Range[]): string | null {
  for (const range of ranges) if (startsWith(bytes, range.bytes, range.bits)) return range.why;
  return null;
}

/** Whether the first `bits` bits of `bytes` equal those of `prefix`. */
function startsWith(bytes: Uint8Array, prefix: number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? Uint8Array.from(bytes) : null;
}

/** 16 bytes of an IPv6 address in any textual form (`::`, a trailing dotted IPv4 part), or null. */
export function parseIPv6(text: string): Uint8Array | null {
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const ipv4 = parseIPv4(text.slice(lastColon + 1));
    if (!ipv4) return null;
    tail = [(ipv4[0]! << 8) | ipv4[1]!, (ipv4[2]! << 8) | ipv4[3]!];
    // "::ffff:1.2.3.4" → "::ffff" and two words; "::1.2.3.4" → "::" and two words.
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const group = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const left = group(halves[0]!);
  const right = halves.length === 2 ? group(halves[1]!) : [];
  const fixed = left.length + right.length + tail.length;
  if (halves.length === 1 ? fixed !== 8 : fixed > 7) return null;
  const words = [...left, ...Array<number>(8 - fixed).fill(0), ...right, ...tail];
  if (words.some((w) => Number.isNaN(w))) return null;
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}
