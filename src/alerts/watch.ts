import type { BlockChanges, Holding } from "../exposure/block-changes";
import type { AlertRule } from "./config";

// Which wallets the engine evaluates at a block, per rule: a rule new to this process (or changed)
// at all its wallets; the others at the wallets the block touched (a position event, a new price of
// an asset they hold), plus a slice of a sweep that reads every watched wallet anew once every
// `sweepSeconds` of chain time (so a slice per block follows the chain's pace, not its block count).
// The sweep catches what moves without an event of ours: interest and funding accruing with time,
// protocol parameters, feeds other than the positions' own marks.

/**
 * The rules to evaluate at a block and, for each, its wallets (lowercase); `complete`: the rules
 * evaluated at all their wallets (their alerts on wallets no longer watched resolve); `fresh`: the
 * wallets to read anew (the others only had a price move: their last read, repriced, will do).
 * `commit` once the block's outcome is stored.
 */
export type Plan = { wallets: Map<AlertRule, string[]>; complete: Set<AlertRule>; fresh: Set<string>; commit(): void };

const fingerprint = (rule: AlertRule) => JSON.stringify(rule);

/** FNV-1a of the address: the sweep's order, which spreads wallets with many positions over the cycle (sorted addresses bunch them). */
function spread(address: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) hash = Math.imul(hash ^ address.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

export class WatchList {
  /** Rules evaluated at all their wallets since this process started, by id, as they were then. */
  #seen = new Map<string, string>();
  /** asset -> watched wallets that have held it. */
  #holders = new Map<string, Set<string>>();
  /** Each wallet whose holdings are loaded, with its place in the sweep's order (spread). */
  #spread = new Map<string, number>();
  /** The sweep: the watched wallets in its order, where it is, the part of a wallet it owes, the last block's time. */
  #order: string[] = [];
  #cursor = 0;
  #owed = 0;
  #lastTime: bigint | null = null;

  constructor(
    private readonly sweepSeconds: number,
    private readonly holdingsOf: (wallets: string[]) => Promise<Holding[]>,
  ) {}

  /** After a reorg: every rule is evaluated at all its wallets again. */
  reset() {
    this.#seen.clear();
  }

  #hold(holdings: Holding[], watched: Set<string>) {
    for (const h of holdings) {
      if (!watched.has(h.account)) continue;
      for (const asset of h.assets) {
        const holders = this.#holders.get(asset) ?? new Set<string>();
        this.#holders.set(asset, holders.add(h.account));
      }
    }
  }

  async plan(rules: AlertRule[], changes: BlockChanges, timestamp: bigint): Promise<Plan> {
    const watched = new Set(rules.flatMap((r) => r.wallets.map((w) => w.toLowerCase())));
    const unknown = [...watched].filter((w) => !this.#spread.has(w));
    this.#hold(await this.holdingsOf(unknown), watched);
    for (const w of unknown) this.#spread.set(w, spread(w));
    this.#hold(changes.holdings, watched);

    const fresh = new Set(changes.holdings.map((h) => h.account).filter((a) => watched.has(a)));
    // Sorted again only when the watched wallets are not the ones it holds. A wallet no longer
    // watched is forgotten: its holdings are not followed meanwhile, so they load again if it returns.
    if (watched.size !== this.#order.length || !this.#order.every((w) => watched.has(w))) {
      for (const w of this.#spread.keys()) if (!watched.has(w)) this.#spread.delete(w);
      this.#order = [...watched].sort((a, b) => this.#spread.get(a)! - this.#spread.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
    }
    const order = this.#order;
    const elapsed = this.#lastTime === null || timestamp < this.#lastTime ? 0 : Number(timestamp - this.#lastTime);
    const due = this.#owed + (order.length * elapsed) / this.sweepSeconds;
    const slice = Math.min(order.length, Math.floor(due));
    const start = order.length === 0 ? 0 : this.#cursor % order.length;
    for (let i = 0; i < slice; i++) fresh.add(order[(start + i) % order.length]!);
    const touched = new Set(fresh);
    for (const asset of changes.pricedAssets) for (const w of this.#holders.get(asset) ?? []) touched.add(w);

    const wallets = new Map<AlertRule, string[]>();
    const complete = new Set<AlertRule>();
    for (const rule of rules) {
      const all = rule.wallets.map((w) => w.toLowerCase());
      if (this.#seen.get(rule.id) !== fingerprint(rule)) {
        complete.add(rule);
        wallets.set(rule, all);
        for (const w of all) fresh.add(w);
      } else {
        const some = all.filter((w) => touched.has(w));
        if (some.length > 0) wallets.set(rule, some);
      }
    }
    return {
      wallets,
      complete,
      fresh,
      commit: () => {
        for (const rule of complete) this.#seen.set(rule.id, fingerprint(rule));
        this.#cursor = start + slice;
        this.#owed = Math.min(due - slice, order.length);
        this.#lastTime = timestamp;
      },
    };
  }
}
