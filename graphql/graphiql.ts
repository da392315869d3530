import { createRequire } from "node:module";
import type { GraphiQLOptions } from "graphql-yoga";

/**
 * GraphiQL's page with its script, styles, editor workers and icon inlined (from
 * @graphql-yoga/render-graphiql): it needs nothing but this server, where yoga's own page loads them
 * from a public CDN and stays blank offline. The options never change, so the ~9 MB page is built once.
 *
 * The package is loaded on the first page request, through Node's require: imported, ponder's
 * vite-node would transform its 9 MB ESM build at every start (3–4 s of CPU and garbage collection
 * before indexing begins; it inlines any module under an `esm/` folder).
 */
export function selfHostedGraphiQL(): (options?: GraphiQLOptions) => string {
  let page: string | undefined;
  return (options) => {
    if (page === undefined) {
      const { renderGraphiQL } = createRequire(import.meta.url)("@graphql-yoga/render-graphiql") as typeof import("@graphql-yoga/render-graphiql");
      page = renderGraphiQL(options);
    }
    return page;
  };
}
