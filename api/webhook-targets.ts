/**
 * Where the server may send webhooks (docs/oversight.md, "Webhooks: public addresses only").
 *
 * A webhook URL is chosen by a party, so the server must not become that party's way into its own
 * network (server-side request forgery): by default it connects only to public unicast addresses.
 * Addresses are classified by ipaddr.js `range()`; only `unicast` is public. Everything else is
 * refused under the name ipaddr.js gives its range: loopback, private (RFC 1918), linkLocal
 * (169.254/16 — cloud metadata — and fe80::/10), carrierGradeNat (100.64/10), uniqueLocal
 * (fc00::/7), multicast, broadcast, unspecified, reserved, benchmarking, and the rest. An IPv6
 * address that carries an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated, the NAT64
 * well-known prefix 64:ff9b::/96) is judged by the IPv4 address it reaches; the deprecated
 * IPv4-compatible form (::a.b.c.d) and the tunnelling prefixes (6to4, Teredo) are refused.
 *
 * Two places apply it:
 * - registration (`checkWebhookUrl`): a URL with credentials, or whose host is a literal address
 *   that is not public, is refused;
 * - delivery (`checkWebhookUrl` again, then `publicOnlyLookup` as the connection's DNS lookup):
 *   a host name is resolved once, every address it resolves to is checked, and the connection
 *   goes to those checked addresses (no second lookup), so a name that resolves — or is re-pointed
 *   after registration (DNS rebinding) — to a non-public address fails before anything is sent.
 *
 * `allowPrivate: true` (WebhookOptions.allowPrivateTargets, `drugtrace serve
 * --allow-private-webhooks`) turns the address checks off for deployments that deliver inside a
 * private network; credentials in URLs are refused either way.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export type WebhookTargetErrorCode =
  /** The URL's host is, or resolved to, an address that is not public (details.address, details.range). */
  | 'WEBHOOK_TARGET_FORBIDDEN'
  /** The URL carries a user name or password (details.url without them). */
  | 'WEBHOOK_URL_CREDENTIALS';

export class WebhookTargetError extends Error {
  override readonly name = 'WebhookTargetError';
  constructor(
    readonly code: WebhookTargetErrorCode,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface AddressClass {
  /** The address as given. */
  address: string;
  /**
   * The range that decides: ipaddr.js's name (`unicast` for a public address, `loopback`,
   * `private`, `linkLocal`, …); for an IPv6 address carrying an IPv4 address, the IPv4 address's
   * range; `ipv4Compatible` for the deprecated ::a.b.c.d form.
   */
  range: string;
  /** For an IPv6 address carrying an IPv4 address: that address and the IPv6 form (`ipv4Mapped`, `rfc6145`, `rfc6052`, `ipv4Compatible`). */
  ipv4?: { address: string; via: string };
  /** True when the server may connect to it by default. */
  public: boolean;
}

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96') as [ipaddr.IPv6, number];

/** The range of an IP address (v4 or v6, optionally with a zone) and whether it is public. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) throw new TypeError(`${address} is not an IP address`);
  const ip = ipaddr.parse(bare);
  if (ip.kind() === 'ipv4') {
    const range = (ip as ipaddr.IPv4).range() as string;
    return { address, range, public: range === 'unicast' };
  }
  const v6 = ip as ipaddr.IPv6;
  const range = v6.range() as string;
  const embedded = (): ipaddr.IPv4 => ipaddr.fromByteArray(v6.toByteArray().slice(12)) as ipaddr.IPv4;
  if (range === 'ipv4Mapped' || range === 'rfc6145' || (range === 'rfc6052' && v6.match(NAT64_WELL_KNOWN))) {
    const v4 = embedded();
    const v4Range = v4.range() as string;
    return { address, range: v4Range, ipv4: { address: v4.toString(), via: range }, public: v4Range === 'unicast' };
  }
  // ::a.b.c.d (RFC 4291 deprecated it): ipaddr.js calls it unicast; refused, named for what it is.
  if (range === 'unicast' && v6.parts.slice(0, 6).every((p) => p === 0)) {
    return { address, range: 'ipv4Compatible', ipv4: { address: embedded().toString(), via: 'ipv4Compatible' }, public: false };
  }
  return { address, range, public: range === 'unicast' };
}

function describe(c: AddressClass): string {
  if (!c.ipv4) return `${c.address} (${c.range})`;
  return c.ipv4.via === c.range ? `${c.address} (${c.range} ${c.ipv4.address})` : `${c.address} (${c.ipv4.via} ${c.ipv4.address}: ${c.range})`;
}

function forbidden(host: string, c: AddressClass, resolved: boolean): WebhookTargetError {
  const what = resolved ? `webhook target ${host} resolves to ${describe(c)}, which is not a public address` : `webhook target ${describe(c)} is not a public address`;
  return new WebhookTargetError('WEBHOOK_TARGET_FORBIDDEN', `${what}; webhooks are delivered to public addresses only`, {
    host,
    address: c.address,
    range: c.range,
    ...(c.ipv4 ? { ipv4: c.ipv4.address, via: c.ipv4.via } : {}),
  });
}

/**
 * The checks a URL can pass without DNS: no credentials, and a literal IP host (IPv4 in any form
 * the URL parser accepts, IPv6 in brackets) must be public unless `allowPrivate`. Host names pass
 * here; their addresses are checked when a connection is made (`publicOnlyLookup`).
 */
export function checkWebhookUrl(url: string, allowPrivate = false): void {
  const u = new URL(url);
  if (u.username !== '' || u.password !== '') {
    u.username = '';
    u.password = '';
    throw new WebhookTargetError('WEBHOOK_URL_CREDENTIALS', 'a webhook URL may not carry a user name or password (user:pass@); requests are authenticated by their signature', { url: u.toString() });
  }
  if (allowPrivate) return;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) return;
  const c = classifyAddress(host);
  if (!c.public) throw forbidden(host, c, false);
}

/**
 * A `lookup` for net/tls connections (undici's `connect: { lookup }`): resolves the host once
 * with the system resolver and refuses the connection, naming the address, if any address it
 * resolves to is not public; otherwise hands exactly those addresses to the connection.
 */
export function publicOnlyLookup(allowPrivate = false, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    const all: LookupAllOptions = { ...options, all: true };
    const answer = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (!allowPrivate) {
        for (const a of addresses) {
          const c = classifyAddress(a.address);
          if (!c.public) return callback(forbidden(hostname, c, true), '', 0);
        }
      }
      if (addresses.length === 0) {
        const none = Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' });
        return callback(none, '', 0);
      }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    };
    try {
      resolve(hostname, all, answer);
    } catch (err) {
      // dns.lookup throws on arguments it cannot use: a failed attempt, not a crash.
      process.nextTick(() => callback(err as NodeJS.ErrnoException, '', 0));
    }
  };
}
