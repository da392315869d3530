import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { graphql } from "ponder";
import { createExposureYoga, EXPOSURE_ENDPOINT } from "../../graphql";
import { loadExposureConfig } from "../config/exposure-config";

const yoga = createExposureYoga({
  db,
  schema: schema as any,
  config: loadExposureConfig(),
  publicClients: publicClients as any,
});

/** Request bodies above this are refused before parsing: no legitimate query comes close. */
const MAX_BODY_BYTES = 64 * 1024;

const app = new Hono();
app.on(["GET", "POST"], EXPOSURE_ENDPOINT, async (c) => {
  const tooLarge = () => c.json({ errors: [{ message: `request body over ${MAX_BODY_BYTES} bytes` }] }, 413);
  if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) return tooLarge();
  if (c.req.method !== "POST") return yoga.fetch(c.req.raw);
  // A body without a length is measured once and handed on, not read twice.
  const body = await c.req.raw.arrayBuffer();
  if (body.byteLength > MAX_BODY_BYTES) return tooLarge();
  return yoga.fetch(new Request(c.req.raw.url, { method: "POST", headers: c.req.raw.headers, body }));
});
// Ponder's generated API over the raw tables, for ad-hoc reads.
app.use("/graphql", graphql({ db, schema }));

export default app;
