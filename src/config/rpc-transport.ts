import { http, type Transport } from "viem";

// Providers put the API key in the RPC URL's path or query, and every failed request's error (which
// ponder logs) quotes the URL. A URL with more than an origin is therefore handed to ponder as a
// viem transport whose errors name `<origin>/[redacted]`, while the requests go to the real URL.
// A bare origin (a local node) stays a string, on ponder's own HTTP client.

const keyFree = (url: URL) => (url.pathname === "/" || url.pathname === "") && url.search === "" && url.username === "" && url.password === "";

export function rpcForPonder(rpc: string): string | Transport {
  const url = new URL(rpc);
  if (!/^https?:$/.test(url.protocol) || keyFree(url)) return rpc;
  return http(`${url.origin}/[redacted]`, { fetchFn: (_shown, init) => fetch(rpc, init as RequestInit) });
}
