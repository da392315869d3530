import { parseUnits } from "viem";
import { fromCursor, toCursor } from "../core/cursor";
import { userError } from "../core/errors";
import type { AssessedPosition } from "./service";
import { pageSize } from "./paging";

// `where` / `orderBy` / `orderDirection` / `first` / `after` over an answer's positions, as users know
// them from ponder and The Graph. The positions are already assessed in memory, so this is filtering
// and a stable sort; the cursor is the last item's sort value and id (keyset, not an offset).

export type PositionFilter = {
  protocol?: string | null;
  protocol_in?: string[] | null;
  chainId?: number | null;
  asset?: string | null;
  side?: "LONG" | "SHORT" | null;
  liquidatableNow?: boolean | null;
  liquidationDistance_lte?: number | null;
  notionalUsd_gte?: string | null;
};

export type PositionOrderBy = "notionalUsd" | "liquidationDistance" | "leverage" | "unrealizedPnlUsd" | "updatedBlock";
export type ListArgs = {
  where?: PositionFilter | null;
  orderBy?: PositionOrderBy | null;
  orderDirection?: "asc" | "desc" | null;
  first?: number | null;
  after?: string | null;
};


type SortValue = bigint | number | null;

const sortValue = ({ row, risk }: AssessedPosition, orderBy: PositionOrderBy): SortValue => {
  switch (orderBy) {
    case "notionalUsd":
      return risk.notionalUsd;
    case "liquidationDistance":
      return risk.liquidationDistance;
    case "leverage":
      return risk.leverage;
    case "unrealizedPnlUsd":
      return risk.unrealizedPnlUsd;
    case "updatedBlock":
      return row.updatedBlock;
  }
};

/** Nulls last in either direction; equal values by id, ascending. */
function compareBy(descending: boolean) {
  return (a: { value: SortValue; id: string }, b: { value: SortValue; id: string }) => {
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      const order = a.value < b.value ? -1 : 1;
      return descending ? -order : order;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

const encode = (value: SortValue, id: string) => toCursor([value === null ? null : typeof value === "bigint" ? `${value}n` : value, id]);

function decode(cursor: string): { value: SortValue; id: string } {
  const [raw, id] = fromCursor(cursor) ?? [];
  if (typeof id === "string") {
    if (raw === null || typeof raw === "number") return { value: raw, id };
    if (typeof raw === "string" && /^-?\d{1,90}n$/.test(raw)) return { value: BigInt(raw.slice(0, -1)), id };
  }
  throw userError("after is not a cursor this list gave (pageInfo.endCursor)");
}

function matches(item: AssessedPosition, symbol: string, where: PositionFilter, notionalFloor: bigint | null): boolean {
  const { row, risk } = item;
  if (where.protocol != null && row.protocol !== where.protocol) return false;
  if (where.protocol_in != null && !where.protocol_in.includes(row.protocol)) return false;
  if (where.chainId != null && row.chainId !== where.chainId) return false;
  if (where.asset != null && symbol !== where.asset) return false;
  if (where.side != null && (where.side === "LONG") !== row.isLong) return false;
  if (where.liquidatableNow != null && risk.liquidatableNow !== where.liquidatableNow) return false;
  if (where.liquidationDistance_lte != null && (risk.liquidationDistance === null || risk.liquidationDistance > where.liquidationDistance_lte)) return false;
  if (notionalFloor !== null && (risk.notionalUsd === null || risk.notionalUsd < notionalFloor)) return false;
  return true;
}

/** The positions a list field answers: filtered, sorted, and cut to one page after the cursor. */
export function listPositions(positions: AssessedPosition[], symbolOf: (p: AssessedPosition) => string, args: ListArgs) {
  const where = args.where ?? {};
  const orderBy = args.orderBy ?? "notionalUsd";
  const descending = (args.orderDirection ?? "desc") === "desc";
  // Without first, the whole list (the answer is already in memory); with it, a page.
  const first = args.first == null ? Number.POSITIVE_INFINITY : pageSize(args.first);
  let notionalFloor: bigint | null = null;
  if (where.notionalUsd_gte != null) {
    if (!/^-?\d{1,30}(\.\d{1,30})?$/.test(where.notionalUsd_gte)) throw userError("notionalUsd_gte must be a USD decimal string");
    notionalFloor = parseUnits(where.notionalUsd_gte, 30);
  }
  const compare = compareBy(descending);
  const keyed = positions
    .filter((p) => matches(p, symbolOf(p), where, notionalFloor))
    .map((p) => ({ item: p, value: sortValue(p, orderBy), id: p.row.positionId }))
    .sort(compare);
  const after = args.after == null ? null : decode(args.after);
  const rest = after === null ? keyed : keyed.filter((k) => compare(k, after) > 0);
  const page = rest.slice(0, first);
  const last = page.at(-1);
  return {
    items: page.map((k) => k.item),
    totalCount: keyed.length,
    pageInfo: { hasNextPage: rest.length > first, endCursor: last ? encode(last.value, last.id) : null },
  };
}
