import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

const parse = (value: unknown): bigint => {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d{1,78}$/.test(value)) return BigInt(value);
  throw new GraphQLError(`BigInt expects an integer or a decimal string, got ${JSON.stringify(value)}`);
};

export const BigIntScalar = new GraphQLScalarType({
  name: "BigInt",
  serialize: (value) => (typeof value === "bigint" ? value.toString() : String(parse(value))),
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return parse(ast.value);
    throw new GraphQLError("BigInt expects an integer or a decimal string literal");
  },
});
