import { zeroAddress, type Address } from "viem";
import { describe, expect, it } from "vitest";
import type { GmxV1Deployment } from "../../src/protocols/gmx-v1/contracts";
import { blocksToReadAhead, knownHead } from "../../src/protocols/gmx-v1/read-ahead";
import { readVaultState, readVaultStateAhead } from "../../src/protocols/gmx-v1/vault-state";

describe("GMX v1 Vault reads ahead of indexing", () => {
  it("start at the next refresh blocks, up to the depth, and only at final blocks", () => {
    expect(blocksToReadAhead(100n, 200n, 30, 10, 1, 4)).toEqual([101n, 102n, 103n, 104n]);
    expect(blocksToReadAhead(100n, 200n, 30, 10, 5, 4)).toEqual([105n, 110n, 115n, 120n]);
    expect(blocksToReadAhead(102n, 200n, 30, 10, 5, 4)).toEqual([105n, 110n, 115n, 120n]);
    expect(blocksToReadAhead(5n, 200n, 30, 10, 5, 2)).toEqual([10n, 15n]);
    // The head 133 with 30 blocks of finality: 103 is the last final block.
    expect(blocksToReadAhead(100n, 133n, 30, 10, 1, 4)).toEqual([101n, 102n, 103n]);
    // Live (the block is at the head), the head unknown, or no refresh: nothing.
    expect(blocksToReadAhead(200n, 200n, 30, 10, 1, 4)).toEqual([]);
    expect(blocksToReadAhead(100n, null, 30, 10, 1, 4)).toEqual([]);
    expect(blocksToReadAhead(100n, 200n, 30, 10, 0, 4)).toEqual([]);
  });

  it("know the head as the RPC last gave it, asked at most every 5 s and never waited for", async () => {
    let asked = 0;
    let head = 0x100;
    const client = { request: async () => (asked++, `0x${head.toString(16)}`) };
    const settled = () => new Promise((r) => setImmediate(r));
    expect(knownHead(42161, client, 0)).toEqual({ number: null, finality: 240 });
    await settled();
    expect(knownHead(42161, client, 1_000)).toEqual({ number: 0x100n, finality: 240 });
    head = 0x180;
    expect(knownHead(42161, client, 4_999).number).toBe(0x100n);
    expect(asked).toBe(1);
    knownHead(42161, client, 5_000);
    await settled();
    expect(knownHead(42161, client, 5_001).number).toBe(0x180n);
    expect(asked).toBe(2);
    // An RPC that fails keeps the last head.
    const failing = { request: async () => Promise.reject(new Error("down")) };
    knownHead(42161, failing, 10_000);
    await settled();
    expect(knownHead(42161, failing, 10_001)).toEqual({ number: 0x180n, finality: 240 });
    expect(knownHead(1, client, 0).finality).toBe(65);
  });

  const VAULT = "0x00000000000000000000000000000000000000a1" as Address;
  const FEED = "0x00000000000000000000000000000000000000f1" as Address;
  const OTHER_FEED = "0x00000000000000000000000000000000000000f2" as Address;
  const TOKENS = ["0x00000000000000000000000000000000000000e1" as Address];
  const deployment: GmxV1Deployment = {
    chain: "test",
    vault: VAULT,
    multicall: "0x00000000000000000000000000000000000000c1",
    startBlock: 0,
    paramsRefreshBlocks: 1,
    readAheadBlocks: 4,
    liquidationRule: "earlier",
    vaultUtilsRules: {},
  };

  /** A Vault whose every number is its block times 1000 plus the call's place; `feedAt` names its price feed; `failOnce`: blocks whose first read fails. */
  const fakeChain = (feedAt: (block: bigint) => Address, failOnce: bigint[] = []) => {
    const asked: bigint[] = [];
    const client = {
      multicall: async ({ contracts, blockNumber }: { contracts: { functionName: string }[]; blockNumber: bigint }) => {
        asked.push(blockNumber);
        if (failOnce.includes(blockNumber) && asked.filter((b) => b === blockNumber).length === 1) throw new Error("no answer");
        return contracts.map(({ functionName }, i) => {
          const result =
            functionName === "priceFeed" ? feedAt(blockNumber)
            : functionName === "vaultUtils" || functionName === "secondaryPriceFeed" ? zeroAddress
            : ["includeAmmPrice", "isSecondaryPriceEnabled", "isAmmEnabled", "strictStableTokens", "isAdjustmentAdditive"].includes(functionName) ? false
            : blockNumber * 1000n + BigInt(i);
          return { status: "success", result };
        });
      },
    };
    return { client, asked };
  };
  const read = (client: unknown, block: bigint, feed: Address) =>
    readVaultState(client as never, deployment, VAULT, TOKENS, block, 1_000n + block, { priceFeed: feed, secondary: zeroAddress });

  it("are taken by the reading at their block, which then equals a reading made without them", async () => {
    const fresh = fakeChain(() => FEED);
    const expected = await Promise.all([11n, 12n].map((b) => read(fresh.client, b, FEED)));
    expect(expected[0]!.maxLeverage).toBe(11_000n);

    const early = fakeChain(() => FEED);
    readVaultStateAhead(early.client as never, deployment, VAULT, TOKENS, [11n, 12n], { priceFeed: FEED, secondary: zeroAddress });
    readVaultStateAhead(early.client as never, deployment, VAULT, TOKENS, [12n], { priceFeed: FEED, secondary: zeroAddress }); // started once
    expect(early.asked).toEqual([11n, 12n]);
    expect(await read(early.client, 11n, FEED)).toEqual(expected[0]);
    expect(await read(early.client, 12n, FEED)).toEqual(expected[1]);
    expect(early.asked).toEqual([11n, 12n]);
    // Taken once: a second reading of the block asks again.
    expect(await read(early.client, 12n, FEED)).toEqual(expected[1]);
    expect(early.asked).toEqual([11n, 12n, 12n]);
  });

  it("are read again when the early read failed or the feeds changed", async () => {
    // The Vault names another feed from block 22; the reads of 22 and 23 were started with the old one.
    const chain = fakeChain((b) => (b >= 22n ? OTHER_FEED : FEED), [21n]);
    readVaultStateAhead(chain.client as never, deployment, VAULT, TOKENS, [21n, 22n, 23n], { priceFeed: FEED, secondary: zeroAddress });
    // 21's early read failed: the reading asks itself.
    expect(await read(chain.client, 21n, FEED)).toMatchObject({ priceFeed: FEED, maxLeverage: 21_000n });
    expect(chain.asked).toEqual([21n, 22n, 23n, 21n]);
    // 22: the early read finds the new feed, so the reading asks again with it.
    expect(await read(chain.client, 22n, FEED)).toMatchObject({ priceFeed: OTHER_FEED, maxLeverage: 22_000n });
    expect(chain.asked).toEqual([21n, 22n, 23n, 21n, 22n]);
    // 23 is read with the feed 22 found: the early read addressed the old feed's contract and is not used.
    expect((await read(chain.client, 23n, OTHER_FEED)).priceFeed).toBe(OTHER_FEED);
    expect(chain.asked).toEqual([21n, 22n, 23n, 21n, 22n, 23n]);
  });
});
