import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRng } from "../chain/rng";

// A JSON-RPC proxy on loopback in front of anvil that misbehaves as real providers do: JSON-RPC
// errors, HTTP 429 with Retry-After, answers that never come (past the client's timeout), bodies cut
// short or not JSON, dropped connections, and a lagging backend behind the same URL (as in a
// load-balanced pool): its head is `lagBlocks` behind, it has no block above that (null blocks,
// "header not found" for state reads, an error for log ranges past its head), and its `latest` is
// older than the real one. Faults are drawn from a seeded RNG, so a run replays.

export type Fault = "error" | "rateLimit" | "timeout" | "truncated" | "malformed" | "reset" | "lagging";
export const ALL_FAULTS: readonly Fault[] = ["error", "rateLimit", "timeout", "truncated", "malformed", "reset", "lagging"];

export type FaultPlan = {
  /** Probability that a request meets a fault (drawn among `faults`). */
  rate: number;
  faults: readonly Fault[];
  seed: number;
  /** How far the lagging backend is behind. */
  lagBlocks: number;
  /** How long a "timeout" holds the request before dropping it (the client should give up first). */
  holdMs: number;
  /** At most this many timeouts in a run (each costs the client its full timeout). */
  maxTimeouts: number;
  /** Methods never faulted (none by default). */
  spare?: readonly string[];
};

export type FaultProxy = {
  /** The proxy's URL; `path` (say, /v2/<key>) is kept, so a URL with a key can be tested for leaks. */
  url: string;
  /** Requests seen and faults injected, by kind. */
  counts: Record<Fault | "requests", number>;
  setRate(rate: number): void;
  close(): Promise<void>;
};

type Call = { jsonrpc: "2.0"; id: unknown; method: string; params?: unknown[] };

const BLOCK_PARAM: Record<string, number> = { eth_call: 1, eth_getBalance: 1, eth_getCode: 1, eth_getStorageAt: 2, eth_getTransactionCount: 1 };

const readBody = (req: IncomingMessage) =>
  new Promise<string>((ok, fail) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => ok(body));
    req.on("error", fail);
  });

export async function startFaultProxy(upstream: string, plan: FaultPlan, path = "/"): Promise<FaultProxy> {
  const rng = createRng(plan.seed);
  let rate = plan.rate;
  const counts = Object.fromEntries([...ALL_FAULTS, "requests"].map((k) => [k, 0])) as FaultProxy["counts"];
  const forward = async (body: unknown) => {
    const res = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return res.json() as Promise<any>;
  };
  const headOf = async () => BigInt((await forward({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber" })).result);
  const hex = (n: bigint) => `0x${n.toString(16)}`;

  /** One call as the lagging backend answers it. */
  const lagging = async (call: Call): Promise<unknown> => {
    const head = (await headOf()) - BigInt(plan.lagBlocks);
    const reply = (result: unknown) => ({ jsonrpc: "2.0", id: call.id, result });
    const p = call.params ?? [];
    const above = (tag: unknown) => typeof tag === "string" && tag.startsWith("0x") && BigInt(tag) > head;
    if (call.method === "eth_blockNumber") return reply(hex(head));
    if (call.method === "eth_getBlockByNumber") {
      if (p[0] === "latest" || p[0] === "safe" || p[0] === "finalized") return forward({ ...call, params: [hex(head), ...p.slice(1)] });
      if (above(p[0])) return reply(null);
    }
    if (call.method === "eth_getBlockByHash" || call.method === "eth_getTransactionReceipt") {
      const upstreamAnswer = await forward(call);
      const number = upstreamAnswer.result?.number ?? upstreamAnswer.result?.blockNumber;
      return number && BigInt(number) > head ? reply(null) : upstreamAnswer;
    }
    if (call.method in BLOCK_PARAM) {
      const tag = p[BLOCK_PARAM[call.method]!];
      if (above(tag)) return { jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "header not found" } };
      if (tag === "latest" || tag === undefined) return forward({ ...call, params: [...p.slice(0, BLOCK_PARAM[call.method]), hex(head)] });
    }
    if (call.method === "eth_getLogs") {
      const filter = { ...(p[0] as Record<string, string>) };
      if (filter.blockHash) {
        const block = await forward({ jsonrpc: "2.0", id: 0, method: "eth_getBlockByHash", params: [filter.blockHash, false] });
        if (!block.result || BigInt(block.result.number) > head) return { jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "unknown block" } };
      } else if (above(filter.toBlock) || above(filter.fromBlock)) {
        // As hosted providers answer a range past their head. (A node that silently cut the range at
        // its head instead would lose logs: ponder cannot tell; see docs/reliability.md.)
        return { jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "block range extends beyond current head block" } };
      } else if (filter.toBlock === undefined || filter.toBlock === "latest") {
        filter.toBlock = hex(head);
      }
      return forward({ ...call, params: [filter] });
    }
    return forward(call);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    counts.requests++;
    let parsed: Call | Call[];
    try {
      parsed = JSON.parse(text);
    } catch {
      return res.writeHead(400).end();
    }
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const spared = calls.every((c) => plan.spare?.includes(c.method));
    let fault: Fault | null = !spared && rng.chance(rate) ? rng.pick(plan.faults) : null;
    if (fault === "timeout" && counts.timeout >= plan.maxTimeouts) fault = "error";
    if (fault) counts[fault]++;
    const send = (status: number, body: string, headers: Record<string, string> = {}) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
    const answers = async (answer: (c: Call) => Promise<unknown>) => {
      const out = await Promise.all(calls.map(answer));
      return JSON.stringify(Array.isArray(parsed) ? out : out[0]);
    };
    switch (fault) {
      case "error":
        return send(200, await answers(async (c) => ({ jsonrpc: "2.0", id: c.id, error: { code: -32603, message: "internal error" } })));
      case "rateLimit":
        return send(429, JSON.stringify({ jsonrpc: "2.0", id: calls[0]!.id, error: { code: -32005, message: "rate limited" } }), { "retry-after": "1" });
      case "timeout":
        setTimeout(() => req.socket.destroy(), plan.holdMs);
        return;
      case "reset":
        return req.socket.destroy();
      case "truncated": {
        const full = await answers(forward);
        return send(200, full.slice(0, Math.max(1, Math.floor(full.length / 2))));
      }
      case "malformed":
        return send(200, "<html><body>502 Bad Gateway</body></html>", { "content-type": "text/html" });
      case "lagging":
        return send(200, await answers(lagging));
      default:
        return send(200, await answers(forward));
    }
  };

  const server = createServer((req, res) => {
    if (req.url !== path) return void res.writeHead(404).end();
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    counts,
    setRate: (r) => (rate = r),
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
