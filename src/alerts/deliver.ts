import { createHmac } from "node:crypto";
import type { AlertSettings, Webhook } from "./config";
import type { Sql } from "./store";
import { postWebhook } from "./webhook-guard";

// Webhook delivery from the outbox: per webhook in event order, signed, retried with doubling waits.
// A delivery is marked done only after a 2xx, so a crash in between sends it again with the same id
// (receivers dedupe on `x-exposure-event-id`); nothing is ever dropped.

export const SIGNATURE_HEADER = "x-exposure-signature";
export const EVENT_ID_HEADER = "x-exposure-event-id";

/** `sha256=` + hex HMAC-SHA256 of the exact body with the webhook's secret. */
export const signature = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** The wait before attempt `attempts + 1`: initial x 2^(attempts - 1), capped. */
export const retryDelay = (attempts: number, settings: Pick<AlertSettings, "retryInitialMs" | "retryMaxMs">) =>
  Math.min(settings.retryMaxMs, settings.retryInitialMs * 2 ** Math.max(0, attempts - 1));

const TIMEOUT_MS = 10_000;

async function post(hook: Webhook, eventId: string, body: string, allowPrivate: boolean): Promise<string | null> {
  try {
    const headers = { "content-type": "application/json", [SIGNATURE_HEADER]: signature(hook.secret, body), [EVENT_ID_HEADER]: eventId };
    const status = await postWebhook({ url: hook.url, headers, body, timeoutMs: TIMEOUT_MS, allowPrivate });
    return status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  } catch (error) {
    return (error as Error).message.split("\n")[0]!.slice(0, 200);
  }
}

/** Sends what is due to each webhook, oldest first; a failure holds that webhook's later events back. */
export async function deliverDue(store: Sql, settings: AlertSettings, now = () => Date.now()) {
  await Promise.all(
    settings.webhooks.map(async (hook) => {
      const due = await store.query<{ event_id: string; attempts: number; next_attempt_at: string; payload: string }>(
        `SELECT d.event_id, d.attempts, d.next_attempt_at::text AS next_attempt_at, e.payload
         FROM alert_delivery d JOIN alert_event e ON e.id = d.event_id
         WHERE d.webhook = $1 AND d.status = 'pending' ORDER BY d.event_seq LIMIT 50`,
        [hook.id],
      );
      for (const d of due) {
        if (Number(d.next_attempt_at) > now()) return;
        const failure = await post(hook, d.event_id, d.payload, settings.allowPrivateWebhooks);
        const attempts = Number(d.attempts) + 1;
        if (failure === null) {
          await store.query(`UPDATE alert_delivery SET status = 'delivered', attempts = $3, delivered_at = $4, last_error = NULL WHERE event_id = $1 AND webhook = $2`, [
            d.event_id,
            hook.id,
            attempts,
            now(),
          ]);
          continue;
        }
        await store.query(`UPDATE alert_delivery SET attempts = $3, next_attempt_at = $4, last_error = $5 WHERE event_id = $1 AND webhook = $2`, [
          d.event_id,
          hook.id,
          attempts,
          now() + retryDelay(attempts, settings),
          failure,
        ]);
        return;
      }
    }),
  );
}
