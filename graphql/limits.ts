import { GraphQLError, Kind, type ASTVisitor, type ValidationContext } from "graphql";

/** Rejects queries nested deeper than `maxDepth` fields (fragments followed), before execution. */
export const depthLimit =
  (maxDepth: number) =>
  (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])));
    const depthOf = (node: any, depth: number, seen: Set<string>): number => {
      if (!node.selectionSet) return depth;
      let deepest = depth;
      for (const sel of node.selectionSet.selections) {
        if (sel.kind === Kind.FIELD) deepest = Math.max(deepest, depthOf(sel, depth + 1, seen));
        else if (sel.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(sel, depth, seen));
        else if (sel.kind === Kind.FRAGMENT_SPREAD && !seen.has(sel.name.value)) {
          const fragment = fragments.get(sel.name.value);
          if (fragment) deepest = Math.max(deepest, depthOf(fragment, depth, new Set([...seen, sel.name.value])));
        }
        if (deepest > maxDepth) return deepest;
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        if (depthOf(node, 0, new Set()) > maxDepth) {
          context.reportError(new GraphQLError(`query is nested deeper than ${maxDepth} levels`));
        }
      },
    };
  };

/** Caps the number of root `wallet`-style fields (aliases included, fragments followed) a single operation may run. */
export const rootFieldLimit =
  (maxFields: number) =>
  (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])));
    const countFields = (selectionSet: any, seen: Set<string>): number => {
      let count = 0;
      for (const sel of selectionSet.selections) {
        if (sel.kind === Kind.FIELD) count++;
        else if (sel.kind === Kind.INLINE_FRAGMENT) count += countFields(sel.selectionSet, seen);
        else if (sel.kind === Kind.FRAGMENT_SPREAD && !seen.has(sel.name.value)) {
          const fragment = fragments.get(sel.name.value);
          if (fragment) count += countFields(fragment.selectionSet, new Set([...seen, sel.name.value]));
        }
      }
      return count;
    };
    return {
      OperationDefinition(node) {
        const count = countFields(node.selectionSet, new Set());
        if (count > maxFields) {
          context.reportError(new GraphQLError(`an operation may select at most ${maxFields} root fields, got ${count}`));
        }
      },
    };
  };
