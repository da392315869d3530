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

const app = new Hono();
app.on(["GET", "POST"], EXPOSURE_ENDPOINT, (c) => yoga.fetch(c.req.raw));
// Ponder's generated API over the raw tables, for ad-hoc reads.
app.use("/graphql", graphql({ db, schema }));

export default app;
