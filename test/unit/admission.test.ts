import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { admission, admissionGate, admissionLimitsFromEnv } from "../../src/api/admission";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("admission control", () => {
  it("admits up to maxInFlight, queues up to maxQueued in order, refuses the rest, times out waiters", async () => {
    const gate = admissionGate({ maxInFlight: 2, maxQueued: 2, queueTimeoutMs: 100 });
    expect(await gate.enter()).toBe("admitted");
    expect(await gate.enter()).toBe("admitted");
    const order: number[] = [];
    const third = gate.enter().then((v) => (order.push(3), v));
    const fourth = gate.enter().then((v) => (order.push(4), v));
    expect(await gate.enter()).toBe("queue full");
    expect(gate.stats()).toMatchObject({ inFlight: 2, queued: 2, shedQueueFull: 1 });
    gate.leave();
    expect(await third).toBe("admitted");
    expect(await fourth).toBe("queue timeout");
    expect(order).toEqual([3, 4]);
    expect(gate.stats()).toMatchObject({ inFlight: 2, queued: 0, admitted: 3, shedQueueTimeout: 1 });
  });

  it("answers 503 with Retry-After when full, and on an execution timeout keeps the slot until the work ends", async () => {
    const app = new Hono();
    app.use("/q", admission({ maxInFlight: 1, maxQueued: 0, queueTimeoutMs: 50, executionTimeoutMs: 100, retryAfterSeconds: 2 }));
    let release = () => {};
    app.get("/q", async (c) => {
      if (c.req.query("slow")) await new Promise<void>((r) => (release = r));
      return c.text("done");
    });
    const slow = app.request("/q?slow=1");
    await sleep(10);
    const shed = await app.request("/q");
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("2");
    expect((await shed.json()).errors[0].extensions.code).toBe("OVERLOADED");
    const timedOut = await slow;
    expect(timedOut.status).toBe(503);
    expect(await timedOut.text()).toMatch(/execution over 100 ms/);
    // The timed-out request still runs: its slot is not free yet.
    expect((await app.request("/q")).status).toBe(503);
    release();
    await sleep(10);
    const ok = await app.request("/q");
    expect([ok.status, await ok.text()]).toEqual([200, "done"]);
  });

  it("reads limits from the environment; 0 in-flight turns it off", () => {
    expect(admissionLimitsFromEnv({ EXPOSURE_MAX_IN_FLIGHT: "0" })).toBeNull();
    expect(admissionLimitsFromEnv({ EXPOSURE_MAX_IN_FLIGHT: "4", EXPOSURE_MAX_QUEUED: "8" })).toMatchObject({ maxInFlight: 4, maxQueued: 8 });
    expect(() => admissionLimitsFromEnv({ EXPOSURE_MAX_QUEUED: "-1" })).toThrow(/EXPOSURE_MAX_QUEUED/);
  });
});
