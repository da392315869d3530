import { GraphQLError, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import { InputError, UnavailableError } from "../src/core/errors";

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

const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof GraphQLError || (e instanceof Error && e.name === "GraphQLError");
/** A GraphQL error we (or GraphQL's validation) raised on purpose, not one wrapping something unexpected. */
const deliberate = (e: unknown): boolean => isGraphQLError(e) && (e.originalError == null || deliberate(e.originalError));

/**
 * Yoga's error masking (an unexpected error becomes `message`, "Unexpected error.", never with the
 * original attached, whatever NODE_ENV says), then every secret is cut out of what is left: a user
 * error may quote a message from a library that named an RPC URL or a token. (By name as well as
 * class: a second copy of graphql-js must not turn user errors into unexpected ones.)
 */
export const redactingMaskError =
  (redact: (text: string) => string) =>
  (error: unknown, message: string): Error => {
    const located = isGraphQLError(error) ? error : null;
    const where = { nodes: located?.nodes, source: located?.source, positions: located?.positions, path: located?.path };
    if (!deliberate(error)) return new GraphQLError(message, { ...where, extensions: { code: "INTERNAL_SERVER_ERROR", unexpected: true } });
    const clean = redact(located!.message);
    return clean === located!.message ? located! : new GraphQLError(clean, { ...where, extensions: located!.extensions });
  };

/** Yoga's logger with every argument redacted (yoga logs each unexpected error with its message and stack). */
export function redactingLogger(redact: (text: string) => string) {
  const text = (value: unknown) => redact(value instanceof Error ? (value.stack ?? value.message) : typeof value === "string" ? value : JSON.stringify(value));
  const to = (level: "info" | "warn" | "error") => (...args: unknown[]) => console[level](...args.map(text));
  return { debug: () => {}, info: to("info"), warn: to("warn"), error: to("error") };
}
