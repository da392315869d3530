import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";
import { userError } from "../../src/core/errors";
import { describe, expect, it, vi } from "vitest";
import { isNonPublicAddress, postWebhook, publicOnlyLookup, refusedWebhookUrl } from "../../src/alerts/webhook-guard";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { secretRedactor, configSecrets } from "../../src/core/redact";
import { readModelErrors, redactingLogger, redactingMaskError } from "../../graphql/errors";

const config = (webhook: string, extra: object = {}) =>
  parseExposureConfig({
    chains: { main: { id: 1, rpc: "https://eth.example/v2/rpc-key-0123456789" } },
    alerts: { rules: [{ id: "r", wallets: ["0x" + "11".repeat(20)], metric: "leverage", fireAt: "10" }], webhooks: [{ id: "w", url: webhook, secret: "hook-secret-xyz" }], ...extra },
  });

describe("webhook targets (SSRF)", () => {
  it("tells public addresses from loopback, private, link-local and unique-local ones, IPv4 and IPv6", () => {
    for (const ip of ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1"]) {
      expect([ip, isNonPublicAddress(ip)]).toEqual([ip, true]);
    }
    for (const ip of ["::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:a9fe:a9fe", "64:ff9b::10.0.0.1"]) {
      expect([ip, isNonPublicAddress(ip)]).toEqual([ip, true]);
    }
    for (const ip of ["8.8.8.8", "172.32.0.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "2001:4860:4860::8888"]) {
      expect([ip, isNonPublicAddress(ip)]).toEqual([ip, false]);
    }
    expect(isNonPublicAddress("not-an-ip")).toBe(true);
  });

  it("refuses loopback and private URLs at config load unless alerts.allowPrivateWebhooks is set", () => {
    for (const url of ["http://127.0.0.1:9000/hook", "http://localhost/x", "http://[::1]:80/", "http://2130706433/", "http://0x7f.1/", "http://169.254.169.254/latest", "http://[fd00::5]/", "http://api.localhost/"]) {
      expect(() => config(url), url).toThrow(/alerts\.webhooks\[0\]\.url: points to a loopback, private or link-local address/);
    }
    expect(config("https://hooks.example.org/x").alerts.webhooks[0]!.url).toBe("https://hooks.example.org/x");
    expect(config("http://127.0.0.1:9000/hook", { allowPrivateWebhooks: true }).alerts.webhooks[0]!.url).toBe("http://127.0.0.1:9000/hook");
    expect(refusedWebhookUrl("ftp://x", true)).toMatch(/http\(s\) URL/);
  });

  it("refuses, at connect time, a name that resolves to a private address (any of its addresses)", async () => {
    const fakeDns = (answers: Record<string, string[]>) =>
      ((host: string, _o: unknown, cb: any) => cb(null, (answers[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 })))) as any;
    const lookup = publicOnlyLookup(fakeDns({ "evil.example": ["93.184.216.34", "10.0.0.7"], "good.example": ["93.184.216.34"], "v6.example": ["fe80::1"] }));
    const ask = (host: string) => new Promise<[unknown, unknown]>((ok) => lookup(host, {}, (e, a) => ok([e?.message ?? null, a])));
    expect((await ask("evil.example"))[0]).toMatch(/resolves to a non-public address/);
    expect((await ask("v6.example"))[0]).toMatch(/resolves to a non-public address/);
    expect(await ask("good.example")).toEqual([null, "93.184.216.34"]);
  });

  it("does not deliver to a real loopback receiver unless allowed, and never follows a redirect", async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      if (req.url === "/redirect") res.writeHead(307, { location: "http://169.254.169.254/latest/meta-data" }).end();
      else res.writeHead(200).end();
    });
    const port = await new Promise<number>((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as any).port)));
    const post = (path: string, allowPrivate: boolean, host = "127.0.0.1") =>
      postWebhook({ url: `http://${host}:${port}${path}`, headers: {}, body: "{}", timeoutMs: 2_000, allowPrivate });
    try {
      await expect(post("/hook", false)).rejects.toThrow(/loopback, private or link-local/);
      expect(hits).toBe(0);
      // "localhost.localdomain"-style names go through DNS: checked at connect time.
      expect(await post("/hook", true)).toBe(200);
      expect(await post("/redirect", true)).toBe(307);
      expect(hits).toBe(2);
    } finally {
      server.close();
    }
  });
});

describe("secrets stay out of errors and logs", () => {
  it("cuts RPC keys, webhook URLs and secrets, the admin token out of any text", () => {
    const c = config("https://hooks.example.org/T000/B000/webhook-token-abc");
    const redact = secretRedactor(configSecrets(c, { ALERTS_ADMIN_TOKEN: "admin-token-123", DATABASE_URL: "postgres://u:db-password-9@h/db" }));
    const leak =
      "HTTP request failed. URL: https://eth.example/v2/rpc-key-0123456789 key rpc-key-0123456789, hook https://hooks.example.org/T000/B000/webhook-token-abc " +
      "secret hook-secret-xyz, token admin-token-123, db db-password-9";
    const clean = redact(leak);
    for (const secret of ["rpc-key-0123456789", "webhook-token-abc", "hook-secret-xyz", "admin-token-123", "db-password-9"]) expect(clean).not.toContain(secret);
    expect(clean).toContain("HTTP request failed");
    expect(redact("nothing secret here")).toBe("nothing secret here");
  });

  it("masks unexpected GraphQL errors and redacts user errors quoting a secret, in a real yoga server and its log", async () => {
    const redact = secretRedactor(["rpc-key-0123456789"]);
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: "type Query { crash: Int, quote: Int }",
        resolvers: {
          Query: {
            crash: () => {
              throw new Error("fetch https://eth.example/v2/rpc-key-0123456789 failed");
            },
            quote: () => {
              throw userError("cannot use rpc-key-0123456789");
            },
          },
        },
      }),
      maskedErrors: { maskError: redactingMaskError(redact) },
      logging: redactingLogger(redact),
      plugins: [readModelErrors],
    });
    const logged: string[] = [];
    for (const level of ["info", "warn", "error"] as const) vi.spyOn(console, level).mockImplementation((...args) => void logged.push(args.join(" ")));
    const ask = async (query: string) => (await yoga.fetch("http://x/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) })).text();
    const crash = await ask("{ crash }");
    expect(JSON.parse(crash).errors[0].message).toBe("Unexpected error.");
    expect(crash).not.toContain("rpc-key");
    const quote = await ask("{ quote }");
    expect(JSON.parse(quote).errors[0]).toMatchObject({ message: "cannot use [redacted]", extensions: { code: "BAD_USER_INPUT" } });
    vi.restoreAllMocks();
    expect(logged.join("\n")).toContain("[redacted]"); // the crash was logged, without the key
    expect(logged.join("\n")).not.toContain("rpc-key");
  });
});
