import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { GraphiQLOptions } from "graphql-yoga";

/**
 * GraphiQL's page with its script, styles, editor workers and icon inlined (from
 * @graphql-yoga/render-graphiql): it needs nothing but this server, where yoga's own page loads them
 * from a public CDN and stays blank offline. The options never change, so the ~9 MB page is built once.
 */
export function selfHostedGraphiQL(): (options?: GraphiQLOptions) => string {
  let page: string | undefined;
  return (options) => (page ??= renderGraphiQL(options));
}
