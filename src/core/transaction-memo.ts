type At = { block: { hash: string }; transaction: { hash: string }; log: { logIndex: number } };

/**
 * A value an event worked out (protocol parameters at its block, a rate it recorded) for the later
 * events of the same transaction to reuse instead of asking the store again. An entry serves only
 * events after the one that set it, in the same block (by hash) and transaction: when ponder runs
 * events again (a retry, a reorg that includes the transaction in another block) the first of them
 * recomputes, as it did the first time. One entry per key: a new transaction replaces it.
 */
export function transactionMemo<V>() {
  const entries = new Map<string, { block: string; transaction: string; logIndex: number; value: V }>();
  return {
    get(key: string, event: At): V | undefined {
      const e = entries.get(key);
      const applies = e && e.transaction === event.transaction.hash && e.block === event.block.hash && e.logIndex < event.log.logIndex;
      return applies ? e.value : undefined;
    },
    set(key: string, event: At, value: V) {
      entries.set(key, { block: event.block.hash, transaction: event.transaction.hash, logIndex: event.log.logIndex, value });
    },
  };
}
