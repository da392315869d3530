import { describe, expect, it } from "vitest";
import { transactionMemo } from "../../src/core/transaction-memo";

const at = (block: string, transaction: string, logIndex: number) => ({ block: { hash: block }, transaction: { hash: transaction }, log: { logIndex } });

describe("transactionMemo", () => {
  it("serves the later events of the transaction that set the value, and no other", () => {
    const memo = transactionMemo<bigint>();
    memo.set("rate", at("0xb1", "0xt1", 3), 7n);
    expect(memo.get("rate", at("0xb1", "0xt1", 5))).toBe(7n);
    expect(memo.get("other", at("0xb1", "0xt1", 5))).toBeUndefined();
    expect(memo.get("rate", at("0xb1", "0xt2", 5))).toBeUndefined(); // another transaction
    expect(memo.get("rate", at("0xb2", "0xt1", 5))).toBeUndefined(); // the transaction again, in a reorg's new block
  });

  it("makes the event that set the value, or one before it, compute again when ponder runs them again", () => {
    const memo = transactionMemo<bigint>();
    memo.set("rate", at("0xb1", "0xt1", 3), 7n);
    expect(memo.get("rate", at("0xb1", "0xt1", 3))).toBeUndefined();
    expect(memo.get("rate", at("0xb1", "0xt1", 1))).toBeUndefined();
    memo.set("rate", at("0xb1", "0xt1", 1), 8n);
    expect(memo.get("rate", at("0xb1", "0xt1", 3))).toBe(8n);
  });
});
