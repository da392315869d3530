import { createSchema, createYoga } from "graphql-yoga";
import type { AlertStore } from "../src/alerts/store";
import { alertTypeDefs, createAlertResolvers } from "./alerts";
import type { ExposureDeps } from "./exposure-service";
import { redactingLogger, redactingMaskError } from "./errors";
import { createHealthResolvers, healthCheck, healthTypeDefs } from "./health";
import { depthLimit, rootFieldLimit } from "./limits";
import { createResolvers } from "./resolvers";
import { typeDefs } from "./schema";

export const EXPOSURE_ENDPOINT = "/exposure";
export const allTypeDefs = [typeDefs, alertTypeDefs, healthTypeDefs];

/**
 * The exposure GraphQL server (GraphiQL on GET), with limits against hostile queries; `feed` is where
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
      resolvers: [exposure, alerts.resolvers, createHealthResolvers(health)],
    }),
    maskedErrors: { maskError: redactingMaskError(redact) },
    logging: redactingLogger(redact),
    graphiql: { title: "exposure-indexer" },
    batching: false,
    plugins: [
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
