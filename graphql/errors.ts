import type { ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { InputError, UnavailableError } from "../src/exposure/errors";

/**
 * The GraphQL error a client sees for a read-model error (bad input as BAD_USER_INPUT, as clients
 * expect); undefined for any other error, which yoga masks and logs as unexpected.
 */
export function fromReadModel(error: GraphQLError): GraphQLError | undefined {
  const { originalError: original, nodes, path } = error;
  // The executor's own GraphQLError class: under vite, "graphql" in our files can be another copy
  // (its ESM build) than the executor's and yoga's, whose instanceof checks would then fail.
  const Located = error.constructor as typeof GraphQLError;
  if (original instanceof InputError) return new Located(original.message, { nodes, path, extensions: { code: "BAD_USER_INPUT" } });
  if (original instanceof UnavailableError) return new Located(original.message, { nodes, path });
  return undefined;
}

type SetResult = (result: ExecutionResult) => void;
const mapResult = (result: ExecutionResult, setResult: SetResult) => {
  const errors = result.errors?.map((e) => fromReadModel(e) ?? e);
  if (errors?.some((e, i) => e !== result.errors![i])) setResult({ ...result, errors });
};

/** Maps read-model errors before yoga's masking runs (it runs after user plugins), so they are neither masked nor logged. */
export const readModelErrors: Plugin = {
  onExecute: () => ({
    onExecuteDone: ({ result, setResult }) => {
      if (Symbol.asyncIterator in result) return { onNext: ({ result, setResult }) => mapResult(result, setResult) };
      mapResult(result, setResult);
      return undefined;
    },
  }),
};
