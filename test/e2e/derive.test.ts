import { createTestClient, formatUnits, http, parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeriveSubAccountsAbi } from "../../abis/DeriveSubAccounts";
import { LyraVolFeedAbi } from "../../abis/LyraVolFeed";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, fixtureChain, send } from "../chain/clients";
import { deployFixtures, setPrice, type Deployment } from "../chain/deploy";
import { DERIVE_PMRM_PARAMS, deployDeriveFixture, deployDerivePortfolioManager, deployLyraForwardFeed, deployLyraVolFeed, fromSubId, type DeriveDeployment, type DerivePortfolioManagerDeployment } from "../chain/derive-deploy";
import { DeriveKeeper, simulateDerive, type DeriveSimulationSummary } from "../chain/derive-simulate";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { reference } from "../support/black-scholes-reference";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

const WAD = 10n ** 18n;
const VOL = 0.65;
const usd = (s: string) => parseUnits(s, 30);
const YEAR = 365 * 24 * 3600;
const QUERY = `query ($address: String!) {
  wallet(address: $address) {
    blocks { number timestamp }
    positions {
      protocol positionKey side status sizeInTokens notionalUsd netNotionalUsd equityUsd warnings market { symbol }
      option { expiry strike type expired volatility volatilityAssumed delta gamma vega theta }
    }
    totals { grossNotionalUsd equityUsd netNotional { asset netUsd } optionGreeks { asset delta gamma vega theta } }
  }
}`;
const STRESS = `query ($wallets: [String!], $shift: Float) {
  stress(wallets: $wallets, shocks: [{ asset: "ETH", moves: ["-0.1", "0", "0.1"] }], volatilityShift: $shift) {
    base { totals { equityUsd } }
    points { totals { equityUsd } pnlUsd }
  }
}`;
const DERIVE_PMRM_SCENARIOS = DERIVE_PMRM_PARAMS.scenarios.length;
const VOL_EVENT = LyraVolFeedAbi[0];
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.each(DATABASES)("Derive options end to end on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let x: DeriveDeployment;
  let k: DeriveKeeper;
  let sim: DeriveSimulationSummary;
  let indexer: Indexer;
  // Scripted book: `hedged` is long 4 ETH calls and short 2 ETH perps; `writer` sold it the calls.
  const hedged = anvilAccount(15).address;
  const writer = anvilAccount(16).address;
  const perpDesk = anvilAccount(17).address;
  const oddWallet = anvilAccount(18).address;
  // Margined books the fixture manager can value (no live options): `margined` is long ETH (base,
  // a perp, an expired short put) on borrowed cash; `shortDesk` is short ETH perps.
  const margined = anvilAccount(19).address;
  const shortDesk = anvilAccount(14).address;
  let marginedId: bigint;
  let shortId: bigint;
  // Under the portfolio manager (PMRM): `pmLong` is long ETH (base collateral, a perp, an expired
  // short put) on cash; `pmShort` is short ETH perps.
  const pmLong = anvilAccount(13).address;
  const pmShort = anvilAccount(12).address;
  let pm: DerivePortfolioManagerDeployment;
  let pmLongId: bigint;
  let pmShortId: bigint;
  // Options on a LyraVolFeed curve: `sviWallet` holds calls at a fresh curve's expiry, one at a stale
  // curve's and one at an unusable curve's (negative total variance).
  const sviWallet = anvilAccount(11).address;
  const VOL_HEARTBEAT = 86_400;
  const curve = { SVI_a: WAD / 100n, SVI_b: WAD / 10n, SVI_rho: -3n * (WAD / 10n), SVI_m: 0n, SVI_sigma: WAD / 5n, SVI_fwd: 0n, SVI_refTau: 0n, confidence: WAD, timestamp: 0n };
  let sviExpiry: bigint;
  let sviStrike: bigint;
  // The forward feed: final data for `expiredAt` settles it at `settlementPrice` (the margined books'
  // expired puts are valued there by both fixture managers); sviExpiry's forward is spot + 25.
  let expiredAt: bigint;
  let settlementPrice: bigint;
  const FORWARD_PREMIUM = 25n * WAD;
  let expiry: bigint;
  let strike: bigint;

  const wallet = async (address: string) => {
    const r = await indexer.query(QUERY, { address });
    expect(r.errors).toBeUndefined();
    return r.data.wallet;
  };
  /** The wallet's option at the answered block, by the independent reference. */
  const referenceOption = (w: any, contracts: number, spot: number, vol = VOL) => {
    const years = Number(expiry - BigInt(w.blocks[0].timestamp)) / YEAR;
    const r = reference(spot, Number(strike / WAD), years, vol, true);
    return { delta: r.delta * contracts, gamma: r.gamma * contracts, vega: r.vega * contracts, theta: r.theta * contracts, price: r.price };
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    x = await deployDeriveFixture(d);
    k = await DeriveKeeper.create(d, x);
    sim = await simulateDerive(d, x, { seed: 11, steps: 40, wallets: 4 });

    const [a, b, c] = [await k.createAccount(hedged), await k.createAccount(writer), await k.createAccount(perpDesk)];
    for (const id of [a, b, c]) await k.deposit(id, 50_000n * WAD);
    const spot = await k.spot("ETH");
    strike = (spot / WAD / 100n) * 100n * WAD; // a round strike just below spot
    const { timestamp } = await chainClients(d.rpcUrl).publicClient.getBlock();
    expiry = ((timestamp + 30n * 86_400n) / 86_400n) * 86_400n + 8n * 3_600n;
    await k.tradeOption(a, b, "ETH", expiry, strike, true, 4n * WAD, 1_200n * WAD);
    await k.tradePerp(c, a, "ETH", 2n * WAD);
    // An option no model can price (strike 0, which OptionEncoding allows): flagged, never a crash.
    const odd = await k.createAccount(oddWallet);
    await k.tradeOption(odd, c, "ETH", expiry, 0n, true, WAD, 0n);

    marginedId = await k.createAccount(margined);
    shortId = await k.createAccount(shortDesk);
    await k.deposit(marginedId, -3_000n * WAD); // a borrow
    await k.depositBase(marginedId, "ETH", 2n * WAD);
    const expired = ((timestamp - 86_400n) / 86_400n) * 86_400n + 8n * 3_600n;
    expiredAt = expired;
    await k.tradeOption(c, marginedId, "ETH", expired, ((spot * 9n) / 10n / WAD) * WAD, false, WAD, 0n);
    await k.tradePerp(marginedId, c, "ETH", WAD);
    await k.deposit(shortId, 1_000n * WAD);
    await k.tradePerp(c, shortId, "ETH", 2n * WAD);

    pm = await deployDerivePortfolioManager(d, x, "ETH");
    [pmLongId, pmShortId] = [await k.createAccount(pmLong), await k.createAccount(pmShort)];
    // Under the PMRM before any balance moves, so every BalanceAdjusted names it.
    for (const id of [pmLongId, pmShortId]) await k.send("setAccountManager", [id, pm.address]);
    await k.deposit(pmLongId, 1_000n * WAD);
    await k.depositBase(pmLongId, "ETH", WAD);
    await k.tradePerp(pmLongId, c, "ETH", WAD);
    await k.tradeOption(c, pmLongId, "ETH", expired, ((spot * 9n) / 10n / WAD) * WAD, false, WAD, 0n);
    await k.deposit(pmShortId, 1_500n * WAD);
    await k.tradePerp(c, pmShortId, "ETH", 2n * WAD);

    // Six hours of ETH perp funding at 0.05%/h, then none: every perp holder has funding accrued since
    // its last application (PerpAsset._getUnrealizedFunding), which both managers count, and which no
    // longer grows while the tests read it.
    const setFundingRate = (rate: bigint) => send(d.rpcUrl, anvilAccount(0), { address: x.perps.ETH, abi: k.abis.perp, functionName: "setFundingRate", args: [rate] });
    await setFundingRate(WAD / 2_000n);
    const testClient = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
    await testClient.increaseTime({ seconds: 6 * 3_600 });
    await testClient.mine({ blocks: 1 });
    await setFundingRate(0n);

    const forwardFeed = await deployLyraForwardFeed(d);
    settlementPrice = ((spot * 88n) / 100n / WAD) * WAD; // the 0.9 x spot puts settle 2% in the money
    const start = 7n * WAD;
    await forwardFeed.publish(expired, { fwdSpotDifference: 0n, confidence: WAD, timestamp: expired }, { settlementStartAggregate: start, currentSpotAggregate: start + settlementPrice * 1_800n });
    for (const manager of [x.manager, pm.address]) {
      await send(d.rpcUrl, anvilAccount(0), { address: manager, abi: manager === pm.address ? pm.abi : k.abis.manager, functionName: "setForwardFeed", args: [forwardFeed.address] });
    }
    const volFeed = await deployLyraVolFeed(d);
    const now = (await chainClients(d.rpcUrl).publicClient.getBlock()).timestamp;
    sviExpiry = expiry + 7n * 86_400n + 3_600n; // an odd hour: no other option shares it
    sviStrike = strike + 200n * WAD;
    const fresh = { ...curve, SVI_fwd: spot, SVI_refTau: ((sviExpiry - now) * WAD) / BigInt(YEAR), timestamp: now };
    await volFeed.publish(sviExpiry, fresh);
    await forwardFeed.publish(sviExpiry, { fwdSpotDifference: FORWARD_PREMIUM, confidence: WAD, timestamp: now }, { settlementStartAggregate: 0n, currentSpotAggregate: 0n });
    await volFeed.publish(sviExpiry + 86_400n, { ...fresh, timestamp: now - 2n * BigInt(VOL_HEARTBEAT) });
    await volFeed.publish(sviExpiry + 2n * 86_400n, { ...fresh, SVI_a: -WAD });
    const sviAccount = await k.createAccount(sviWallet);
    await k.deposit(sviAccount, 50_000n * WAD);
    await k.tradeOption(sviAccount, c, "ETH", sviExpiry, sviStrike, true, 2n * WAD, 300n * WAD);
    for (const late of [1n, 2n]) await k.tradeOption(sviAccount, c, "ETH", sviExpiry + late * 86_400n, sviStrike, true, WAD, 100n * WAD);

    // The scenario warps time past an expiry: a heartbeat longer than that keeps prices usable.
    const derive = {
      deployment: x,
      defaultVolatility: VOL,
      portfolioManager: { address: pm.address, market: "ETH" as const },
      volFeed: { address: volFeed.address, market: "ETH" as const, heartbeatSeconds: VOL_HEARTBEAT },
      forwardFeed: { address: forwardFeed.address, market: "ETH" as const, heartbeatSeconds: VOL_HEARTBEAT },
    };
    indexer = await indexFixtureChain(fixtureExposureConfig(d, { heartbeatSeconds: 30 * 86_400, derive }), database, d.rpcUrl);
  }, 240_000);

  afterAll(() => stopAll(database, indexer, anvil));

  it("holds every subaccount balance under the wallet that owns the subaccount now", async () => {
    expect(sim.transfers.length).toBeGreaterThan(0);
    const packed = (asset: string, subId: bigint) => `0x${((BigInt(asset) << 96n) | subId).toString(16).padStart(64, "0")}`;
    const owners = new Map<bigint, string>();
    for (const { accountId } of sim.accounts) owners.set(accountId, (await k.ownerOf(accountId)).toLowerCase());
    // Every wallet that ever held a subaccount, including the ones that gave theirs away.
    const wallets = new Set([...sim.wallets, ...sim.transfers.flatMap((t) => [t.from, t.to])].map((w) => w.toLowerCase()));
    for (const owner of wallets) {
      const expected = sim.holdings
        .filter((h) => owners.get(h.accountId) === owner)
        .map((h) => `${packed(h.asset, h.subId)}:${h.balance < 0n ? "SHORT" : "LONG"}`)
        .sort();
      const got = (await wallet(owner)).positions
        .filter((p: any) => p.protocol === "derive")
        .map((p: any) => `${p.positionKey}:${p.side}`)
        .sort();
      expect(got, owner).toEqual(expected);
    }
  });

  it("answers atBlock with the owner of the time: a transferred subaccount's book moves at the transfer block", async () => {
    const moved = sim.transfers.at(-1)!;
    const logs = await chainClients(d.rpcUrl).publicClient.getContractEvents({
      address: x.subAccounts,
      abi: DeriveSubAccountsAbi,
      eventName: "Transfer",
      args: { tokenId: moved.accountId },
      fromBlock: 0n,
    });
    const transfer = logs.find((l) => l.args.to?.toLowerCase() === moved.to.toLowerCase())!;
    const keysAt = async (owner: string, block: bigint) => {
      const r = await indexer.query(`{ wallet(address: "${owner}", atBlock: "${block}") { positions { protocol positionKey } } }`);
      expect(r.errors).toBeUndefined();
      return new Set(r.data.wallet.positions.filter((p: any) => p.protocol === "derive").map((p: any) => p.positionKey));
    };
    const before = { from: await keysAt(moved.from, transfer.blockNumber - 1n), to: await keysAt(moved.to, transfer.blockNumber - 1n) };
    const after = { from: await keysAt(moved.from, transfer.blockNumber), to: await keysAt(moved.to, transfer.blockNumber) };
    // Positions the account held at the transfer: under `from` just before, under `to` from the transfer block on.
    const carried = [...before.from].filter((key) => !after.from.has(key));
    expect(carried.length).toBeGreaterThan(0);
    for (const key of carried) expect(after.to.has(key)).toBe(true);
  });

  it("prices options by Black-Scholes to 1e-9 of an independent reference and nets their delta against perps", async () => {
    const w = await wallet(hedged);
    const call = w.positions.find((p: any) => p.option);
    expect(call.option).toMatchObject({ type: "CALL", expired: false, volatility: VOL, volatilityAssumed: true, expiry: expiry.toString() });
    expect(usd(call.option.strike)).toBe(strike * 10n ** 12n);
    const spot = Number(formatUnits(await k.spot("ETH"), 18));
    const ref = referenceOption(w, 4, spot);
    for (const g of ["delta", "gamma", "vega", "theta"] as const) expect(relative(call.option[g], ref[g])).toBeLessThan(1e-9);
    // Value per contract becomes money at micro-dollar resolution.
    expect(Math.abs(Number(call.equityUsd) - 4 * ref.price)).toBeLessThan(4e-6);
    expect(Number(call.notionalUsd)).toBeCloseTo(4 * spot, 6);
    // Net ETH: long 4 calls at delta ~0.5 against 2 short perps.
    const net = w.totals.netNotional.find((n: any) => n.asset === "ETH");
    // Near-neutral, so the tolerance is on the size of the book, not on the small net.
    expect(Math.abs(Number(net.netUsd) - (ref.delta * spot - 2 * spot))).toBeLessThan(1e-9 * 6 * spot);
    expect(Math.abs(Number(net.netUsd))).toBeLessThan(0.2 * 2 * spot); // close to delta-neutral
    expect(Number(w.totals.grossNotionalUsd)).toBeCloseTo(6 * spot + 50_000 - 1_200, 6); // contracts x spot, plus cash after the premium
    expect(relative(w.totals.optionGreeks[0].delta, ref.delta)).toBeLessThan(1e-9);
  });

  it("prices an option at its vol feed curve's SVI vol, and flags the default where the curve is missing, stale or unusable", async () => {
    const w = await wallet(sviWallet);
    const spot = Number(formatUnits(await k.spot("ETH"), 18));
    const options = w.positions.filter((p: any) => p.option);
    const at = (e: bigint) => options.find((p: any) => p.option.expiry === e.toString());
    // SVI.getVol, independently: w = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)), vol = sqrt(w / refTau).
    const f = (x: bigint) => Number(x) / 1e18;
    const fresh = at(sviExpiry);
    expect(fresh.option.volatilityAssumed).toBe(false);
    const events = await chainClients(d.rpcUrl).publicClient.getContractEvents({ abi: [VOL_EVENT], eventName: "VolDataUpdated", args: { expiry: sviExpiry }, fromBlock: 0n });
    const c = events[0]!.args.volDetails!;
    const bound = 4 * Math.sqrt(f(c.SVI_a) + f(c.SVI_b) * f(c.SVI_sigma));
    const logMoneyness = Math.min(bound, Math.max(-bound, Math.log(Number(sviStrike) / Number(c.SVI_fwd))));
    const km = logMoneyness - f(c.SVI_m);
    const variance = f(c.SVI_a) + f(c.SVI_b) * (f(c.SVI_rho) * km + Math.sqrt(km * km + f(c.SVI_sigma) ** 2));
    const vol = Math.sqrt(variance / f(c.SVI_refTau));
    expect(relative(fresh.option.volatility, vol)).toBeLessThan(1e-12);
    // Greeks and value at that vol, by the independent Black-Scholes reference.
    const years = Number(sviExpiry - BigInt(w.blocks[0].timestamp)) / YEAR;
    const ref = reference(spot, Number(sviStrike / WAD), years, fresh.option.volatility, true);
    expect(relative(fresh.option.delta, 2 * ref.delta)).toBeLessThan(1e-9);
    expect(Math.abs(Number(fresh.equityUsd) - 2 * ref.price)).toBeLessThan(2e-6);
    expect(fresh.warnings.join(" ")).not.toContain("defaultVolatility assumed");

    const stale = at(sviExpiry + 86_400n);
    expect(stale.option).toMatchObject({ volatility: VOL, volatilityAssumed: true });
    expect(stale.warnings.join(" ")).toContain("is stale");
    const unusable = at(sviExpiry + 2n * 86_400n);
    expect(unusable.option).toMatchObject({ volatility: VOL, volatilityAssumed: true });
    expect(unusable.warnings.join(" ")).toContain("gives no vol at this strike");
    // Another ETH option, at an expiry the feed never published: the default, flagged.
    const other = (await wallet(hedged)).positions.find((p: any) => p.option);
    expect(other.option.volatilityAssumed).toBe(true);
    expect(other.warnings.join(" ")).toContain("has no curve for expiry");
    // The subaccount's margin marks its live options at the same vols, on the forward feed's forwards, and says so.
    const account = (await margin(sviWallet)).accounts[0];
    expect(account.warnings.join(" ")).toContain("the vol feed's SVI curves and the configured volatility 0.65 (assumed)");
    expect(account.warnings.join(" ")).toContain("forwards and settlement prices from the forward feed");
    expect(account.warnings.join(" ")).toContain(`the forward feed has no data for expiry ${sviExpiry + 86_400n}`);
  });

  it("shows the option writer's negative gamma, and stress reflects the convexity", async () => {
    const w = await wallet(writer);
    const short = w.positions.find((p: any) => p.option);
    expect(short.side).toBe("SHORT");
    const spot = Number(formatUnits(await k.spot("ETH"), 18));
    const ref = referenceOption(w, -4, spot);
    expect(short.option.gamma).toBeLessThan(0);
    expect(relative(short.option.gamma, ref.gamma)).toBeLessThan(1e-9);

    const r = await indexer.query(STRESS, { wallets: [writer], shift: 0 });
    expect(r.errors).toBeUndefined();
    const [down, flat, up] = r.data.stress.points.map((p: any) => Number(p.totals.equityUsd));
    expect(flat).toBeCloseTo(Number(r.data.stress.base.totals.equityUsd), 6);
    // Short convexity: both moves lose, and more than the linear (delta) part says.
    expect(down + up - 2 * flat).toBeLessThan(0);
    const shortValue = (s: number) => -4 * referenceOption(w, 1, s).price;
    expect(relative(up - flat, shortValue(spot * 1.1) - shortValue(spot))).toBeLessThan(1e-6);
    expect(relative(down - flat, shortValue(spot * 0.9) - shortValue(spot))).toBeLessThan(1e-6);

    // +10 vol points: the writer loses about vega x 0.1.
    const v = await indexer.query(STRESS, { wallets: [writer], shift: 0.1 });
    expect(v.errors).toBeUndefined();
    const flatShifted = Number(v.data.stress.points[1].totals.equityUsd);
    const revalued = -4 * referenceOption(w, 1, spot, VOL + 0.1).price - shortValue(spot);
    expect(relative(flatShifted - flat, revalued)).toBeLessThan(1e-6);
    expect(flatShifted).toBeLessThan(flat);
  });

  const MARGIN = `query ($address: String!) {
    wallet(address: $address) {
      positions { protocol positionKey side liquidationPrice liquidationDistance liquidatableNow warnings market { symbol } }
      accounts { protocol subaccountId maintenanceMarginUsd initialMarginUsd collateralDropToLiquidation priceRiseToLiquidation liquidatableNow warnings }
    }
  }`;
  const margin = async (address: string) => {
    const r = await indexer.query(MARGIN, { address });
    expect(r.errors).toBeUndefined();
    return r.data.wallet;
  };
  const ORACLE_UNIT = 10n ** 22n; // 8-decimal feed answers at 1e30
  const auctionStarts = async (accountId: bigint) => {
    try {
      await chainClients(d.rpcUrl).publicClient.simulateContract({ address: x.manager, abi: k.abis.manager, functionName: "startAuction", args: [accountId] });
      return true;
    } catch (e) {
      expect(String(e)).toContain("DA_AccountIsAboveMaintenanceMargin");
      return false;
    }
  };

  /**
   * For each subaccount: every ETH position shares the API's liquidation price, its distance is to it
   * from the mark, and the manager's auction check holds at the last oracle answer on the
   * liquidatable side and not one unit toward the mark.
   */
  const flipsAtLiquidationPrice = async (books: (readonly [string, bigint, "below" | "above"])[], starts: (id: bigint) => Promise<boolean>) => {
    const before = (await k.spot("ETH")) / 10n ** 10n;
    for (const [owner, id, side] of books) {
      const eth = (await margin(owner)).positions.filter((p: any) => p.market.symbol === "ETH");
      expect(eth.length).toBeGreaterThan(0);
      const liq = usd(eth[0].liquidationPrice);
      for (const p of eth) expect(usd(p.liquidationPrice)).toBe(liq);
      const mark = before * ORACLE_UNIT;
      expect(eth[0].liquidationDistance).toBeCloseTo(Number(side === "below" ? mark - liq : liq - mark) / Number(mark), 9);
      const hit = side === "below" ? liq / ORACLE_UNIT : (liq + ORACLE_UNIT - 1n) / ORACLE_UNIT;
      const safe = side === "below" ? hit + 1n : hit - 1n;
      expect(await starts(id)).toBe(false);
      await setPrice(d, "WETH", hit);
      expect(await starts(id)).toBe(true);
      await setPrice(d, "WETH", safe);
      expect(await starts(id)).toBe(false);
      const restored = await setPrice(d, "WETH", before);
      await indexer.waitForBlock(restored.blockNumber); // later tests read the restored head
    }
  };

  it("gives each margined subaccount the fixture manager's getMargin, maintenance and initial, to the wei", async () => {
    for (const [owner, id] of [[margined, marginedId], [shortDesk, shortId]] as const) {
      // Funding accrued since the account's last application is part of both figures (long pays, short receives).
      const unrealized = (await chainClients(d.rpcUrl).publicClient.readContract({ address: x.perps.ETH, abi: k.abis.perp, functionName: "unrealizedFunding", args: [id] })) as bigint;
      expect(owner === margined ? unrealized < 0n : unrealized > 0n).toBe(true);
      const w = await margin(owner);
      const account = w.accounts.find((a: any) => a.subaccountId === id.toString());
      expect(usd(account.maintenanceMarginUsd)).toBe((await k.margin(id, false)) * 10n ** 12n);
      expect(usd(account.initialMarginUsd)).toBe((await k.margin(id, true)) * 10n ** 12n);
      expect(account.liquidatableNow).toBe(false);
      expect(usd(account.maintenanceMarginUsd)).toBeGreaterThan(0n);
      expect(usd(account.initialMarginUsd)).toBeLessThan(usd(account.maintenanceMarginUsd));
    }
  });

  it("flips the manager's liquidation check one oracle unit either side of the API's liquidation price", async () => {
    await flipsAtLiquidationPrice([[margined, marginedId, "below"], [shortDesk, shortId, "above"]], auctionStarts);
  });

  const pmRead = <T>(functionName: string, args: readonly unknown[]) =>
    chainClients(d.rpcUrl).publicClient.readContract({ address: pm.address, abi: pm.abi, functionName, args }) as Promise<T>;
  /** DutchAuction._startAuction's condition on the worst scenario (any, when the basis contingency is the worst). */
  const pmAuctionStarts = async (accountId: bigint) => {
    const [, , worst] = await pmRead<[bigint, bigint, bigint]>("getMarginAndMtM", [accountId, false]);
    const scenarioId = worst === BigInt(DERIVE_PMRM_SCENARIOS) ? 0n : worst;
    try {
      await chainClients(d.rpcUrl).publicClient.simulateContract({ address: pm.address, abi: pm.abi, functionName: "startAuction", args: [accountId, scenarioId] });
      return true;
    } catch (e) {
      expect(String(e)).toContain("DA_AccountIsAboveMaintenanceMargin");
      expect(await pmRead<bigint>("getMargin", [accountId, false])).toBeGreaterThanOrEqual(0n); // no scenario could start one
      return false;
    }
  };

  it("gives each PMRM subaccount the portfolio manager's getMargin, maintenance and initial, to the wei", async () => {
    for (const [owner, id] of [[pmLong, pmLongId], [pmShort, pmShortId]] as const) {
      const account = (await margin(owner)).accounts.find((a: any) => a.subaccountId === id.toString());
      expect(usd(account.maintenanceMarginUsd)).toBe((await pmRead<bigint>("getMargin", [id, false])) * 10n ** 12n);
      expect(usd(account.initialMarginUsd)).toBe((await pmRead<bigint>("getMargin", [id, true])) * 10n ** 12n);
      expect(usd(account.maintenanceMarginUsd)).toBeGreaterThan(0n);
      expect(account.liquidatableNow).toBe(false);
      expect(account.warnings.join(" ")).toContain("portfolio margin");
      expect(account.warnings.join(" ")).not.toContain("not modelled");
    }
  });

  it("flips the portfolio manager's auction check one oracle unit either side of the API's liquidation price", async () => {
    await flipsAtLiquidationPrice([[pmLong, pmLongId, "below"], [pmShort, pmShortId, "above"]], pmAuctionStarts);
  });

  it("lists Derive positions in atRisk by their subaccount's distance, with no 'not modelled' warning", async () => {
    const r = await indexer.query(`{ atRisk(maxDistance: 0.9, protocol: "derive", first: 1000) { items { account liquidationDistance liquidationPrice market { symbol } } warnings } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.atRisk.warnings.join(" ")).not.toContain("not modelled");
    for (const owner of [margined, pmLong]) {
      const mine = r.data.atRisk.items.filter((p: any) => p.account.toLowerCase() === owner.toLowerCase());
      const w = await margin(owner);
      expect(mine.length).toBe(w.positions.filter((p: any) => p.liquidationPrice !== null).length);
      expect(mine.length).toBeGreaterThan(0);
    }
    const distances = r.data.atRisk.items.map((p: any) => p.liquidationDistance);
    expect(distances).toEqual([...distances].sort((a: number, b: number) => a - b));
  });

  it("stress and the ladder liquidate a Derive subaccount past its distance, and not before", async () => {
    const w = await margin(margined);
    const distance = w.positions.find((p: any) => p.liquidationDistance !== null).liquidationDistance;
    const past = (-(distance + 0.01)).toFixed(4);
    const short = (-(distance - 0.01)).toFixed(4);
    const r = await indexer.query(
      `query ($w: [String!], $m: [String!]) { stress(wallets: $w, shocks: [{ asset: "ETH", moves: $m }]) { points { liquidatable { account } accounts { subaccountId liquidatableNow maintenanceMarginUsd } } } }`,
      { w: [margined], m: [short, past] },
    );
    expect(r.errors).toBeUndefined();
    const [safe, hit] = r.data.stress.points;
    expect(safe.liquidatable).toEqual([]);
    expect(hit.liquidatable.length).toBeGreaterThan(0);
    expect(usd(safe.accounts[0].maintenanceMarginUsd)).toBeGreaterThanOrEqual(0n);
    expect(usd(hit.accounts[0].maintenanceMarginUsd)).toBeLessThan(0n);
    const ladder = await indexer.query(`query ($w: [String!]) { ladder(wallets: $w, asset: "ETH", steps: 60) { move liquidatableCount } }`, { w: [margined] });
    expect(ladder.errors).toBeUndefined();
    for (const step of ladder.data.ladder) {
      if (step.move > 0) continue;
      expect(step.liquidatableCount > 0, `move ${step.move}`).toBe(-step.move > distance);
    }
  });

  it("flags the margin of a book with live options when the volatility is unusable, instead of a wrong number", async () => {
    const r = await indexer.query(
      `query ($w: [String!]) { stress(wallets: $w, shocks: [{ asset: "ETH", moves: ["0"] }], volatilityShift: -1) { base { accounts { maintenanceMarginUsd } } points { accounts { maintenanceMarginUsd liquidatableNow warnings } } } }`,
      { w: [writer] },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.stress.base.accounts[0].maintenanceMarginUsd).not.toBeNull();
    const shifted = r.data.stress.points[0].accounts[0];
    expect(shifted).toMatchObject({ maintenanceMarginUsd: null, liquidatableNow: null });
    expect(shifted.warnings.join(" ")).toContain("no usable volatility");
  });

  it("flags an option it cannot price instead of failing the query", async () => {
    const w = await wallet(oddWallet);
    const odd = w.positions.find((p: any) => p.option);
    expect(odd.option).toMatchObject({ delta: null, gamma: null, expired: false });
    expect(odd.equityUsd).toBeNull();
    expect(odd.warnings.join(" ")).toContain("strike is zero");
    expect(w.totals.optionGreeks[0].delta).toBeNull();
  });

  it("settles expired options out of exposure and greeks", async () => {
    let expired = 0;
    for (const owner of new Set(sim.accounts.map((a) => a.owner))) {
      const w = await wallet(owner);
      for (const p of w.positions.filter((q: any) => q.option?.expired)) {
        expired++;
        expect(p.notionalUsd).toBe("0");
        expect(p.netNotionalUsd).toBe("0");
        expect(p.option.delta).toBe(0);
        expect(p.warnings.join(" ")).toContain("expired");
        const { strike: k18, isCall } = fromSubId(BigInt(`0x${p.positionKey.slice(-24)}`));
        // Valued at the settlement price once the forward feed has final data for the expiry.
        const settled = p.market.symbol === "ETH" && BigInt(p.option.expiry) === expiredAt;
        const spot = settled ? Number(settlementPrice / WAD) : Number(formatUnits(await k.spot(p.market.symbol === "ETH" ? "ETH" : "BTC"), 18));
        const intrinsic = Math.max(0, isCall ? spot - Number(k18 / WAD) : Number(k18 / WAD) - spot);
        expect(Math.sign(Number(p.equityUsd))).toBe(intrinsic === 0 ? 0 : p.side === "LONG" ? 1 : -1);
      }
    }
    expect(expired).toBeGreaterThan(0);
  });
});
