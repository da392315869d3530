import { createHash, timingSafeEqual } from "node:crypto";
import { GraphQLError } from "graphql";
import { createPubSub, filter, pipe } from "graphql-yoga";
import type { AlertRule } from "../src/alerts/config";
import type { AlertEvent } from "../src/alerts/engine";
import { createRule, deleteRule, rulesInForce } from "../src/alerts/rules";
import type { AlertStore } from "../src/alerts/store";
import type { ExposureConfig } from "../src/config/exposure-config";
import { fromCursor, toCursor } from "../src/core/cursor";
import { userError } from "../src/exposure/service";
import { pageSize } from "../src/exposure/paging";

// Alerts over GraphQL: what is firing (and was), delivery status per webhook, and a live stream of
// alert events (a subscription, served as server-sent events).

export const alertTypeDefs = /* GraphQL */ `
  extend type Query {
    "Alerts raised by the configured rules, newest first; status: firing, resolved or retracted (all when omitted)."
    alerts(status: String, rule: String, first: Int = 50, after: String): AlertPage!
    "Delivery of alert events to one configured webhook, newest first."
    alertDeliveries(webhook: String!, status: String, first: Int = 50): [AlertDelivery!]!
    "The rules in force: the config's and those created through the API."
    alertRules: [AlertRule!]!
    "How far the alert engine has evaluated each chain (compare with chains for its lag)."
    alertEngine: [AlertEngineStatus!]!
  }

  type AlertEngineStatus {
    chainId: Int!
    evaluatedBlock: BigInt!
  }

  """
  Rules through the API: needs the header authorization: Bearer <ALERTS_ADMIN_TOKEN> (off when that
  variable is unset). Created rules are delivered to webhooks that do not list their rules.
  """
  type Mutation {
    createAlertRule(rule: AlertRuleInput!): AlertRule!
    "Deletes an API-created rule; its firing alerts resolve at the next block."
    deleteAlertRule(id: String!): Boolean!
  }

  input AlertRuleInput {
    id: String!
    "Wallets to watch, or a configured portfolio's (at most 500)."
    wallets: [String!]
    portfolio: String
    "liquidationDistance | healthFactor (low is risky) | leverage | grossNotionalUsd (high is risky)."
    metric: String!
    "Decimal: fire when the value reaches it."
    fireAt: String!
    "Decimal on the safe side of fireAt: resolve once past it (defaults to fireAt)."
    clearAt: String
    asset: String
    protocol: String
  }

  type AlertRule {
    id: String!
    wallets: [String!]!
    metric: String!
    fireAt: String!
    clearAt: String!
    asset: String
    protocol: String
    "config or api."
    source: String!
  }

  type Subscription {
    "Alert events as they are committed (fire, resolve, retract), optionally for one rule. Over SSE: POST with Accept: text/event-stream."
    alertEvents(rule: String): AlertEvent!
  }

  type Alert {
    "Stable id: sha256 of rule, subject, chain and the firing block's number and hash."
    id: String!
    rule: String!
    "A position id, a lending account (protocol:chain:pool:wallet) or a wallet."
    subject: String!
    wallet: String!
    chainId: Int!
    status: String!
    firedBlock: BigInt!
    resolvedBlock: BigInt
    "The reading that last changed the alert (decimal), or safe / worst."
    reading: String
    "The figures at firing, as JSON."
    figures: String!
  }

  type AlertPage {
    items: [Alert!]!
    pageInfo: PageInfo!
  }

  type AlertEvent {
    "Stable id: the alert id with :fire, :resolve, or (for a reorg) the retracted event's id with :retract."
    id: String!
    alertId: String!
    kind: String!
    rule: String!
    metric: String!
    wallet: String!
    subject: String!
    chainId: Int!
    blockNumber: BigInt!
    blockHash: String!
    value: String
    fireAt: String!
    clearAt: String!
    retracts: String
    "As JSON."
    figures: String!
  }

  type AlertDelivery {
    eventId: String!
    webhook: String!
    "pending or delivered."
    status: String!
    attempts: Int!
    lastError: String
    "Unix milliseconds."
    deliveredAt: BigInt
    nextAttemptAt: BigInt
  }
`;

export type AlertFeed = { publish(events: AlertEvent[]): void };

/** Constant-time check of the request's bearer token against the admin token. */
function authorised(request: Request | undefined, token: string | undefined): void {
  if (!token) throw new GraphQLError("alert rules through the API are off: set ALERTS_ADMIN_TOKEN to allow them", { extensions: { code: "FORBIDDEN" } });
  const given = request?.headers.get("authorization") ?? "";
  const hash = (x: string) => createHash("sha256").update(x).digest();
  if (!timingSafeEqual(hash(given), hash(`Bearer ${token}`))) throw new GraphQLError("not authorised to change alert rules", { extensions: { code: "FORBIDDEN" } });
}

export function createAlertResolvers(store: AlertStore | null, config: ExposureConfig, adminToken: string | undefined) {
  const webhooks = config.alerts.webhooks.map((w) => w.id);
  const pubsub = createPubSub<{ alert: [AlertEvent] }>();
  const feed: AlertFeed = { publish: (events) => events.forEach((e) => pubsub.publish("alert", e)) };
  const needStore = (): AlertStore => {
    if (!store) throw new GraphQLError("alerts are off: add an alerts section to the config");
    return store;
  };
  const ruleOut = (rule: AlertRule) => ({ ...rule, asset: rule.asset ?? null, protocol: rule.protocol ?? null, source: config.alerts.rules.includes(rule) ? "config" : "api" });
  const userFacing = async <T>(work: () => Promise<T>) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      throw userError((error as Error).message);
    }
  };

  const resolvers = {
    Query: {
      alerts: async (_: unknown, args: { status?: string | null; rule?: string | null; first: number; after?: string | null }) => {
        const first = pageSize(args.first);
        const parts = args.after ? fromCursor(args.after) : null;
        if (args.after && (!parts || !/^\d+$/.test(String(parts[0])) || typeof parts[1] !== "string")) {
          throw userError("after is not a cursor this list gave (pageInfo.endCursor)");
        }
        const after = parts as [string, string] | null;
        const rows = await needStore().query<any>(
          `SELECT id, rule_id, subject, wallet, chain_id, status, fired_block::text AS fired_block, resolved_block::text AS resolved_block, reading, figures
           FROM alert
           WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR rule_id = $2)
             AND ($3::numeric IS NULL OR (fired_block, id) < ($3::numeric, $4::text))
           ORDER BY fired_block DESC, id DESC LIMIT $5`,
          [args.status ?? null, args.rule ?? null, after?.[0] ?? null, after?.[1] ?? null, first + 1],
        );
        const items = rows.slice(0, first).map((r) => ({
          id: r.id,
          rule: r.rule_id,
          subject: r.subject,
          wallet: r.wallet,
          chainId: Number(r.chain_id),
          status: r.status,
          firedBlock: BigInt(r.fired_block),
          resolvedBlock: r.resolved_block === null ? null : BigInt(r.resolved_block),
          reading: r.reading,
          figures: r.figures,
        }));
        const last = items.at(-1);
        const endCursor = last ? toCursor([last.firedBlock.toString(), last.id]) : null;
        return { items, pageInfo: { hasNextPage: rows.length > first, endCursor } };
      },
      alertEngine: async () =>
        (
          await needStore().query<{ chain_id: number; n: string }>(
            `SELECT chain_id, max(block_number)::text AS n FROM alert_block GROUP BY chain_id ORDER BY chain_id`,
          )
        ).map((r) => ({ chainId: Number(r.chain_id), evaluatedBlock: BigInt(r.n) })),
      alertRules: async () => (store ? await rulesInForce(store, config, () => {}) : config.alerts.rules).map(ruleOut),
      alertDeliveries: async (_: unknown, args: { webhook: string; status?: string | null; first: number }) => {
        if (!webhooks.includes(args.webhook)) throw userError(`unknown webhook '${args.webhook.slice(0, 40)}' (configured: ${webhooks.join(", ") || "none"})`);
        const rows = await needStore().query<any>(
          `SELECT event_id, webhook, status, attempts, last_error, delivered_at::text AS delivered_at, next_attempt_at::text AS next_attempt_at
           FROM alert_delivery WHERE webhook = $1 AND ($2::text IS NULL OR status = $2) ORDER BY event_seq DESC LIMIT $3`,
          [args.webhook, args.status ?? null, pageSize(args.first)],
        );
        return rows.map((r) => ({
          eventId: r.event_id,
          webhook: r.webhook,
          status: r.status,
          attempts: Number(r.attempts),
          lastError: r.last_error,
          deliveredAt: r.delivered_at === null ? null : BigInt(r.delivered_at),
          nextAttemptAt: r.status === "pending" ? BigInt(r.next_attempt_at) : null,
        }));
      },
    },
    Mutation: {
      createAlertRule: (_: unknown, args: { rule: Record<string, unknown> }, ctx: { request?: Request }) => {
        authorised(ctx.request, adminToken);
        return userFacing(async () => ruleOut(await createRule(needStore(), config, args.rule)));
      },
      deleteAlertRule: (_: unknown, args: { id: string }, ctx: { request?: Request }) => {
        authorised(ctx.request, adminToken);
        return userFacing(() => deleteRule(needStore(), config, args.id));
      },
    },
    Subscription: {
      alertEvents: {
        subscribe: (_: unknown, args: { rule?: string | null }) =>
          pipe(
            pubsub.subscribe("alert"),
            filter((e: AlertEvent) => !args.rule || e.rule === args.rule),
          ),
        resolve: (e: AlertEvent) => ({ ...e, blockNumber: BigInt(e.block.number), blockHash: e.block.hash, figures: JSON.stringify(e.figures) }),
      },
    },
  };
  return { resolvers, feed };
}
