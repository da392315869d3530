import { Hono } from "hono";

// ponder start needs an API file; the baseline serves only ponder's own /status and /ready.
export default new Hono();
