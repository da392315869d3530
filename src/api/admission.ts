import type { MiddlewareHandler } from "hono";

// Admission control for the query endpoint: at most `maxInFlight` requests execute at once, at most
// `maxQueued` wait (first come, first served) and none waits longer than `queueTimeoutMs`; anything
// beyond is answered at once with 503 and Retry-After, so an overload costs clients a retry instead
// of every request's latency and the process's memory. A request running past `executionTimeoutMs`
// is answered 503 too, but keeps its slot until its work ends: the bound is on work, not on answers.

export type AdmissionLimits = {
  maxInFlight: number;
  maxQueued: number;
  queueTimeoutMs: number;
  executionTimeoutMs: number;
  /** Seconds a shed client is asked to wait (Retry-After). */
  retryAfterSeconds: number;
};

export const DEFAULT_LIMITS: AdmissionLimits = { maxInFlight: 8, maxQueued: 32, queueTimeoutMs: 2_000, executionTimeoutMs: 15_000, retryAfterSeconds: 1 };

/** Limits from the environment (EXPOSURE_MAX_IN_FLIGHT=0 turns admission off), defaults otherwise. */
export function admissionLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): AdmissionLimits | null {
  const read = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === "") return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return n;
  };
  const limits: AdmissionLimits = {
    maxInFlight: read("EXPOSURE_MAX_IN_FLIGHT", DEFAULT_LIMITS.maxInFlight),
    maxQueued: read("EXPOSURE_MAX_QUEUED", DEFAULT_LIMITS.maxQueued),
    queueTimeoutMs: read("EXPOSURE_QUEUE_TIMEOUT_MS", DEFAULT_LIMITS.queueTimeoutMs),
    executionTimeoutMs: read("EXPOSURE_EXECUTION_TIMEOUT_MS", DEFAULT_LIMITS.executionTimeoutMs),
    retryAfterSeconds: read("EXPOSURE_RETRY_AFTER_SECONDS", DEFAULT_LIMITS.retryAfterSeconds),
  };
  return limits.maxInFlight === 0 ? null : limits;
}

export type Verdict = "admitted" | "queue full" | "queue timeout";

/** The slots and the queue, without HTTP: `enter` resolves once admitted or refused; every admitted enter needs one leave. */
export function admissionGate(limits: Pick<AdmissionLimits, "maxInFlight" | "maxQueued" | "queueTimeoutMs">) {
  let inFlight = 0;
  const waiting: { admit: () => void }[] = [];
  const counts = { admitted: 0, shedQueueFull: 0, shedQueueTimeout: 0 };
  const enter = (): Promise<Verdict> => {
    if (inFlight < limits.maxInFlight && waiting.length === 0) {
      inFlight++;
      counts.admitted++;
      return Promise.resolve("admitted");
    }
    if (waiting.length >= limits.maxQueued) {
      counts.shedQueueFull++;
      return Promise.resolve("queue full");
    }
    return new Promise((resolve) => {
      const entry = {
        admit: () => {
          clearTimeout(timer);
          inFlight++;
          counts.admitted++;
          resolve("admitted");
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(entry), 1);
        counts.shedQueueTimeout++;
        resolve("queue timeout");
      }, limits.queueTimeoutMs);
      waiting.push(entry);
    });
  };
  const leave = () => {
    inFlight--;
    if (inFlight < limits.maxInFlight) waiting.shift()?.admit();
  };
  return { enter, leave, stats: () => ({ inFlight, queued: waiting.length, ...counts }) };
}

const overloaded = (limits: AdmissionLimits, why: string) =>
  new Response(JSON.stringify({ errors: [{ message: `server overloaded (${why}): retry after ${limits.retryAfterSeconds} s`, extensions: { code: "OVERLOADED" } }] }), {
    status: 503,
    headers: { "content-type": "application/json", "retry-after": String(limits.retryAfterSeconds) },
  });

/** Hono middleware putting the routes after it behind the gate. */
export function admission(limits: AdmissionLimits): MiddlewareHandler {
  const gate = admissionGate(limits);
  return async (c, next) => {
    const verdict = await gate.enter();
    if (verdict !== "admitted") return overloaded(limits, verdict);
    let timer: NodeJS.Timeout | undefined;
    const work = next().finally(gate.leave);
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), limits.executionTimeoutMs)));
    const outcome = await Promise.race([work.then(() => false as const), timedOut]);
    clearTimeout(timer);
    if (outcome) return overloaded(limits, `execution over ${limits.executionTimeoutMs} ms`);
  };
}
