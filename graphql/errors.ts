import { GraphQLError } from "graphql";

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
