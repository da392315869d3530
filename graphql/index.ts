import { createSchema, createYoga } from "graphql-yoga";
import type { ExposureDeps } from "./exposure-service";
import { depthLimit, rootFieldLimit } from "./limits";
import { createResolvers } from "./resolvers";
import { typeDefs } from "./schema";

export const EXPOSURE_ENDPOINT = "/exposure";

/** The exposure GraphQL server (GraphiQL on GET), with limits against hostile queries. */
export function createExposureYoga(deps: ExposureDeps) {
  return createYoga({
    graphqlEndpoint: EXPOSURE_ENDPOINT,
    schema: createSchema({ typeDefs, resolvers: createResolvers(deps) }),
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
}
