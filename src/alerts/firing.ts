import type { AlertStore } from "./store";

/** A firing alert, as the engine needs it to resolve it. */
export type FiringAlert = { id: string; rule_id: string; subject: string; wallet: string; fired_event: string };

/**
 * The firing alerts of one chain: read from the store once, then kept in step with what this process
 * commits (the engine is the store's only writer of alerts). A block's outcome is applied only after
 * its transaction commits; a rewind drops what is kept, and the next block reads it again.
 */
export class FiringAlerts {
  #alerts: Map<string, FiringAlert> | null = null;

  constructor(
    private readonly store: AlertStore,
    private readonly chainId: number,
  ) {}

  async all(): Promise<FiringAlert[]> {
    if (this.#alerts === null) {
      const rows = await this.store.query<FiringAlert>(`SELECT id, rule_id, subject, wallet, fired_event FROM alert WHERE chain_id = $1 AND status = 'firing'`, [
        this.chainId,
      ]);
      this.#alerts = new Map(rows.map((a) => [a.id, a]));
    }
    return [...this.#alerts.values()];
  }

  /** A committed block's outcome: the alerts it fired and those it resolved (ids). */
  committed(fired: FiringAlert[], resolved: string[]) {
    if (this.#alerts === null) return;
    for (const id of resolved) this.#alerts.delete(id);
    for (const a of fired) this.#alerts.set(a.id, a);
  }

  reset() {
    this.#alerts = null;
  }
}
