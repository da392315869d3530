import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";

// Webhooks must not reach the service's own network (SSRF): loopback, private, link-local,
// unique-local and other non-public addresses are refused unless the config allows them
// (`alerts.allowPrivateWebhooks`). The URL is checked when the config loads (IP literals and
// localhost names) and again on every delivery, at connect time, against each address the name
// resolves to; so a name that resolves (or is rebound) to a private address is refused too.
// Redirects are never followed.

const nonPublic = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this" network
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local (cloud metadata lives here)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  nonPublic.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique-local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const)
  nonPublic.addSubnet(net, prefix, "ipv6");

/** The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, IPv4-compatible), if any. */
function embeddedIpv4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|64:ff9b::|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for any address a webhook must not reach by default; also for text that is not an IP address. */
export function isNonPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return nonPublic.check(ip, "ipv4");
  if (family !== 6) return true;
  const v4 = embeddedIpv4(ip);
  return v4 !== null ? nonPublic.check(v4, "ipv4") : nonPublic.check(ip, "ipv6");
}

export class WebhookTargetError extends Error {
  override name = "WebhookTargetError";
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");
const localName = (host: string) => host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal") || host.endsWith(".local");

/**
 * Checks what can be checked without DNS (at config load): an http(s) URL whose host is not a
 * non-public IP literal or a local name. Returns the reason it is refused, or null.
 */
export function refusedWebhookUrl(text: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "expected an http(s) URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "expected an http(s) URL";
  if (allowPrivate) return null;
  const host = hostOf(url).toLowerCase();
  if ((isIP(host) !== 0 && isNonPublicAddress(host)) || localName(host)) {
    return "points to a loopback, private or link-local address (set alerts.allowPrivateWebhooks to allow it)";
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that fails for a name resolving to any non-public address: the address connected to is the one checked. */
export function publicOnlyLookup(resolve: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((a) => isNonPublicAddress(a.address));
      if (refused) return callback(new WebhookTargetError(`webhook host ${hostname} resolves to a non-public address`), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export type WebhookPost = { url: string; headers: Record<string, string>; body: string; timeoutMs: number; allowPrivate: boolean };

/**
 * POSTs `body` and resolves to the status (a redirect is a failure, never followed), or rejects with
 * a message that names neither the URL nor any header (the URL may carry a token).
 */
export function postWebhook({ url, headers, body, timeoutMs, allowPrivate }: WebhookPost): Promise<number> {
  const refused = refusedWebhookUrl(url, allowPrivate);
  if (refused) return Promise.reject(new WebhookTargetError(`webhook URL ${refused}`));
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
        ...(allowPrivate ? {} : { lookup: publicOnlyLookup() as any }),
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) =>
      reject(error instanceof WebhookTargetError ? error : new Error(error.code ? `connection failed (${error.code})` : error.message)),
    );
    req.end(body);
  });
}
