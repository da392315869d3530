import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { createExposureYoga } from "../../graphql";
import { parseExposureConfig } from "../../src/config/exposure-config";
import type { ExposureDeps } from "../../src/exposure/service";

// The read model throws its own errors (src/core/errors.ts); the GraphQL layer alone decides how
// they look to a client. Served here over a database with ponder's checkpoint table, empty or absent.
describe("GraphQL error mapping over the read model", () => {
  const pglite = new PGlite();
  const deps = {
    db: drizzle(pglite),
    config: parseExposureConfig({ chains: { anvil: { id: 31337, rpc: "http://127.0.0.1:1" } } }),
    publicClients: {},
  } as unknown as ExposureDeps;
  const { yoga } = createExposureYoga(deps, null);
  const ask = async (query: string) => {
    const response = await yoga.fetch("http://test/exposure", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  };
  afterAll(() => pglite.close());

  it("shows bad input with its message as BAD_USER_INPUT", async () => {
    const { errors } = await ask(`{ wallet(address: "0x12") { address } }`);
    expect(errors?.[0]?.message).toBe("invalid address '0x12': expected 0x followed by 40 hex digits");
    expect(errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("masks an unexpected failure (a missing table) and shows an unavailable answer's reason", async () => {
    const broken = await ask(`{ chains { chainId } }`);
    expect(broken.errors?.[0]?.message).toBe("Unexpected error.");
    expect(broken.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");

    await pglite.exec("CREATE TABLE _ponder_checkpoint (chain_name text PRIMARY KEY, chain_id bigint, latest_checkpoint varchar(75))");
    const empty = await ask(`{ wallet(address: "0x000000000000000000000000000000000000dEaD", atBlock: 1) { address } }`);
    expect(empty.errors?.[0]?.message).toBe("the indexer has not indexed any block yet: try again shortly");
    expect(empty.errors?.[0]?.extensions?.code).toBeUndefined();
  });
});
