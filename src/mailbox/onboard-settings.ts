import { DEFAULT_POLICY, PolicySchema, type Policy } from "../eas/policy";
import { createIfMissing } from "../store/ddl";

/** Small per-mailbox settings owned by device on-boarding: the security policy (with a version that
 *  changes on every edit, so provisioned devices notice) and the access default for unknown devices. */
export class OnboardSettings {
  constructor(private readonly sql: SqlStorage) {
    createIfMissing(sql, "CREATE TABLE IF NOT EXISTS onboard_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  get(key: string): string | undefined {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM onboard_settings WHERE key = ?", key).toArray()[0];
    return row?.value;
  }

  set(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO onboard_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  delete(key: string): void {
    this.sql.exec("DELETE FROM onboard_settings WHERE key = ?", key);
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
