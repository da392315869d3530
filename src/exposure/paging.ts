import { userError } from "../core/errors";

/** Most items one page of any list may hold. */
export const MAX_PAGE = 1_000;

/** A `first` argument, checked: a whole number from 1 to MAX_PAGE. */
export function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw userError(`first must be a whole number from 1 to ${MAX_PAGE}`);
  return first;
}
