import { DEFAULT_POLICY, PolicySchema, type Policy } from "../eas/policy";
import { createIfMissing, hasTable } from "../store/ddl";

/** Small per-mailbox settings owned by device on-boarding: the security policy (with a version that
 *  changes on every edit, so provisioned devices notice) and the access default for unknown devices. */
// Its table is made by the first setting written (issue 15 target 3): most mailboxes keep the defaults, and
// every request reads them (a missing table: no setting, ddl.ts hasTable). WITHOUT ROWID: the key is the table's
// own b-tree, no second one for the PRIMARY KEY.
export class OnboardSettings {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): string | undefined {
    if (!hasTable(this.sql, "onboard_settings")) return undefined;
    const row = this.sql.exec<{ value: string }>("SELECT value FROM onboard_settings WHERE key = ?", key).toArray()[0];
    return row?.value;
  }

  set(key: string, value: string): void {
    createIfMissing(this.sql, "CREATE TABLE IF NOT EXISTS onboard_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
    this.sql.exec(
      "INSERT INTO onboard_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  delete(key: string): void {
    if (hasTable(this.sql, "onboard_settings")) this.sql.exec("DELETE FROM onboard_settings WHERE key = ?", key);
  }

  policy(): { policy: Policy; version: number } {
    const raw = this.get("policy");
    const parsed = raw ? PolicySchema.safeParse(JSON.parse(raw)) : undefined;
    return { policy: parsed?.success ? parsed.data : DEFAULT_POLICY, version: Number(this.get("policy_version") ?? 0) };
  }

  setPolicy(policy: Policy): { policy: Policy; version: number } {
    const version = this.policy().version + 1;
    this.set("policy", JSON.stringify(policy));
    this.set("policy_version", String(version));
    return { policy, version };
  }
}
