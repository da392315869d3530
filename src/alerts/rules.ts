import { parseAlertRule, type ExposureConfig } from "../config/exposure-config";
import type { AlertRule } from "./config";
import type { Sql } from "./store";

// Rules in force: the config's, plus those created through the API (kept in the alert store).

/** The config's rules and the stored ones; a stored rule the config no longer accepts is skipped. */
export async function rulesInForce(store: Sql, config: ExposureConfig, log: (message: string) => void): Promise<AlertRule[]> {
  const stored = await store.query<{ id: string; definition: string }>(`SELECT id, definition FROM alert_rule ORDER BY id`);
  const rules = [...config.alerts.rules];
  for (const row of stored) {
    try {
      rules.push(parseAlertRule(JSON.parse(row.definition), `stored rule ${row.id}`, config.portfolios));
    } catch (error) {
      log(`${(error as Error).message}: skipped`);
    }
  }
  return rules;
}

/** Validates and stores a rule; its id must be new among the config's and the stored rules. */
export async function createRule(store: Sql, config: ExposureConfig, input: Record<string, unknown>, now = Date.now()): Promise<AlertRule> {
  const rule = parseAlertRule(input, "rule", config.portfolios);
  if (config.alerts.rules.some((r) => r.id === rule.id)) throw new Error(`rule '${rule.id}' is defined in the config`);
  const inserted = await store.query(`INSERT INTO alert_rule (id, definition, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`, [
    rule.id,
    JSON.stringify(rule),
    now,
  ]);
  if (inserted.length === 0) throw new Error(`rule '${rule.id}' exists already`);
  return rule;
}

export async function deleteRule(store: Sql, config: ExposureConfig, id: string): Promise<boolean> {
  if (config.alerts.rules.some((r) => r.id === id)) throw new Error(`rule '${id}' is defined in the config: edit the config to remove it`);
  return (await store.query(`DELETE FROM alert_rule WHERE id = $1 RETURNING id`, [id])).length > 0;
}
