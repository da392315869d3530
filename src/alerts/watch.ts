import type { BlockChanges, Holding } from "../exposure/block-changes";
import type { AlertRule } from "./config";

// Which wallets the engine evaluates at a block, per rule: a rule new to this process (or changed)
// at all its wallets; the others at the wallets the block touched (a position event, a new price of
// an asset they hold), plus a slice of a sweep that visits every watched wallet once every
// `sweepBlocks` blocks. The sweep catches what moves without an event of ours: interest and funding
// accruing with time, protocol parameters, feeds other than the positions' own marks.

/**
 * The rules to evaluate at a block and, for each, its wallets (lowercase); `complete`: the rules
 * evaluated at all their wallets (their alerts on wallets no longer watched resolve); `fresh`: the
 * wallets to read anew (the others only had a price move: their last read, repriced, will do).
 * `commit` once the block's outcome is stored.
 */
export type Plan = { wallets: Map<AlertRule, string[]>; complete: Set<AlertRule>; fresh: Set<string>; commit(): void };

const fingerprint = (rule: AlertRule) => JSON.stringify(rule);

export class WatchList {
  /** Rules evaluated at all their wallets since this process started, by id, as they were then. */
  #seen = new Map<string, string>();
  /** asset -> watched wallets that have held it. */
  #holders = new Map<string, Set<string>>();
  #loaded = new Set<string>();
  #cursor = 0;

  constructor(
    private readonly sweepBlocks: number,
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

  async plan(rules: AlertRule[], changes: BlockChanges): Promise<Plan> {
    const watched = new Set(rules.flatMap((r) => r.wallets.map((w) => w.toLowerCase())));
    const unknown = [...watched].filter((w) => !this.#loaded.has(w));
    this.#hold(await this.holdingsOf(unknown), watched);
    for (const w of unknown) this.#loaded.add(w);
    this.#hold(changes.holdings, watched);

    const fresh = new Set(changes.holdings.map((h) => h.account).filter((a) => watched.has(a)));
    const order = [...watched].sort();
    const slice = Math.ceil(order.length / Math.max(1, this.sweepBlocks));
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
      },
    };
  }
}
