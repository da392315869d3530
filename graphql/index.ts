import { createSchema, createYoga } from "graphql-yoga";
import type { AlertStore } from "../src/alerts/store";
import type { Protocol } from "../src/core/protocol";
import { protocols } from "../src/protocols";
import { alertTypeDefs, createAlertResolvers } from "./alerts";
import { contextAtHead, type ExposureDeps } from "../src/exposure/service";
import { readModelErrors, redactingLogger, redactingMaskError } from "./errors";
import { selfHostedGraphiQL } from "./graphiql";
import { createHealthResolvers, healthCheck, healthTypeDefs } from "./health";
import { depthLimit, rootFieldLimit } from "./limits";
import { createResolvers } from "./resolvers";
import { typeDefs } from "./schema";

export const EXPOSURE_ENDPOINT = "/exposure";
// GraphQL types and fields protocols add (`graphql` of a protocol folder's export).
const protocolExtensions = (protocols as readonly Protocol[]).flatMap((p) => (p.graphql ? [p.graphql] : []));

export const allTypeDefs = [typeDefs, alertTypeDefs, healthTypeDefs, ...protocolExtensions.map((e) => e.typeDefs)];

/**
 * The exposure GraphQL server (GraphiQL on GET, served whole from here), with limits against hostile queries; `feed` is where
 * the alert engine publishes to subscriptions.
 */
export function createExposureYoga(deps: ExposureDeps, alertStore: AlertStore | null, redact: (text: string) => string = (t) => t) {
  const exposure = createResolvers(deps);
  const health = healthCheck(deps, alertStore);
  const alerts = createAlertResolvers(alertStore, deps.config, process.env.ALERTS_ADMIN_TOKEN);
  const yoga = createYoga({
    graphqlEndpoint: EXPOSURE_ENDPOINT,
    schema: createSchema({
      typeDefs: allTypeDefs,
      resolvers: [
        exposure,
        alerts.resolvers,
        createHealthResolvers(health),
        ...protocolExtensions.map((e) => e.resolvers({ db: deps.db, schema: deps.schema, config: deps.config, contextAtHead: (assets) => contextAtHead(deps, assets) })),
      ],
    }),
    maskedErrors: { maskError: redactingMaskError(redact) },
    logging: redactingLogger(redact),
    graphiql: { title: "exposure-indexer" },
    renderGraphiQL: selfHostedGraphiQL(),
    batching: false,
    plugins: [
      readModelErrors,
      {
        onValidate({ addValidationRule }: { addValidationRule: (rule: any) => void }) {
          addValidationRule(depthLimit(8));
          addValidationRule(rootFieldLimit(10));
        },
      },
    ],
  });
  return { yoga, feed: alerts.feed, health };
}
