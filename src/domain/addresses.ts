/**
 * Destinations a webhook may not reach unless private ones are allowed: loopback, private,
 * link-local, unique-local, carrier-grade NAT, multicast, reserved and documentation ranges,
 * and IPv6 forms that embed such an IPv4 address. An IPv6 address that carries an IPv4 one
 * counts by it (a public IPv4 inside is allowed): IPv4-mapped `::ffff:0:0/96`, IPv4-translated
 * `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96` and the local-use `64:ff9b:1::/48` (the IPv4 in the
 * last 32 bits, as in the /96), 6to4 `2002::/16` (bits 16..47) and Teredo `2001::/32` (the
 * client in the last 32 bits, inverted; the Teredo server in bits 32..63 must be public too).
 */

type Range4 = [number, number]; // [network as uint32, prefix length]

const V4_BLOCKED: Range4[] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
].map(([a, p]) => [parseIPv4(a as string) as number, p as number]);

/** An IPv4 address in dotted-quad form as an unsigned 32-bit number, or null. */
export function parseIPv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** An IPv6 address (optionally with a trailing dotted IPv4 and a %zone) as eight 16-bit groups, or null. */
export function parseIPv6(input: string): number[] | null {
  let s = input.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    s = s.slice(0, lastColon + 1) + '0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const all = [...head, ...rest];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const width = 8 - (tail.length ? 1 : 0);
  if (halves.length === 1 && all.length !== width) return null;
  if (halves.length === 2 && all.length >= width) return null;
  const fill = halves.length === 2 ? new Array(width - all.length).fill('0') : [];
  const words = [...head, ...fill, ...rest].map((g) => parseInt(g, 16));
  if (tail.length) words.splice(words.length - 1, 1, ...tail);
  return words;
}

function v4Blocked(n: number): boolean {
  return V4_BLOCKED.some(([net, prefix]) => Math.floor(n / 2 ** (32 - prefix)) === Math.floor(net / 2 ** (32 - prefix)));
}

function v6Blocked(w: number[]): boolean {
  const embedded = (hi: number, lo: number) => v4Blocked(hi * 65536 + lo);
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return true; // ::
  if (zeros(0, 7) && w[7] === 1) return true; // ::1
  if (zeros(0, 5) && w[5] === 0xffff) return embedded(w[6], w[7]); // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeros(0, 4) && w[4] === 0xffff && w[5] === 0) return embedded(w[6], w[7]); // ::ffff:0:a.b.c.d (IPv4-translated)
  if (zeros(0, 6)) return true; // ::a.b.c.d (deprecated IPv4-compatible) and other reserved ::/96
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return embedded(w[6], w[7]); // NAT64 64:ff9b::/96
  if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1) return embedded(w[6], w[7]); // NAT64 local use 64:ff9b:1::/48
  if (w[0] === 0x2002) return embedded(w[1], w[2]); // 6to4
  if (w[0] === 0x2001 && w[1] === 0) return embedded(w[2], w[3]) || embedded(w[6] ^ 0xffff, w[7] ^ 0xffff); // Teredo: server, client (inverted)
  if ((w[0] & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((w[0] & 0xffc0) === 0xfe80 || (w[0] & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((w[0] & 0xff00) === 0xff00) return true; // multicast
  if (w[0] === 0x2001 && w[1] === 0x0db8) return true; // documentation
  if (w[0] === 0x0100 && zeros(1, 4)) return true; // discard-only 100::/64
  return false;
}

/** True when an IP address (v4 or v6, as a resolver or a URL gives it) is not a public destination. */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4 !== null) return v4Blocked(v4);
  const v6 = parseIPv6(address);
  if (v6 !== null) return v6Blocked(v6);
  return true; // not an address at all: never treat as public
}

/** A URL's host when it is an IP literal (brackets removed), else null. */
export function ipLiteralOfHost(hostname: string): string | null {
  const h = hostname.replace(/^\[|\]$/g, '');
  return parseIPv4(h) !== null || parseIPv6(h) !== null ? h : null;
}

/**
 * Whether a webhook URL may be stored: https (http only where private destinations are
 * allowed), no credentials, an IP literal host must be public unless allowed. Answers the
 * reason it may not, or null. Host names are resolved and checked by the caller.
 */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (u.protocol !== 'https:' && !(allowPrivate && u.protocol === 'http:')) return allowPrivate ? 'must use https or http' : 'must use https';
  if (u.username || u.password) return 'may not contain credentials';
  if (!u.hostname) return 'must name a host';
  if (raw.length > 2048) return 'must be at most 2048 characters';
  const literal = ipLiteralOfHost(u.hostname);
  if (literal !== null && !allowPrivate && isPrivateAddress(literal)) return 'resolves to a private, loopback or link-local address';
  if (!allowPrivate && (u.hostname === 'localhost' || u.hostname.endsWith('.localhost'))) return 'resolves to a private, loopback or link-local address';
  return null;
}
