import { isEnforced, policyTypeFor } from "../eas/policy";
import { atLeast } from "../eas/protocol-version";
import { decideAccess, type DeviceFacts } from "./device-access";
import { OnboardSettings } from "./onboard-settings";
import type { AccessRule, AccessState, DeviceSeen, GlobalAccess, RuleKind } from "./contract";
import type {
  DeviceGateState,
  DeviceInformation,
  DeviceRecord,
  PolicyState,
  ProvisionInput,
  ProvisionOutcome,
  WipeState,
} from "./contract";
import { createIfMissing, hasTable } from "../store/ddl";

export type { DeviceSeen } from "./contract";

const TOUCH_WRITE_INTERVAL_MS = 60_000;

type Row = Record<string, SqlStorageValue>;

/** The device partnership table of one mailbox (in the mailbox object's SQLite). */
export class DeviceRegistry {
  readonly settings: OnboardSettings;
  #rules: AccessRule[] | undefined;
  /** The service-wide rules last seen with a request (for refreshing the stored access column). */
  #global: GlobalAccess = { rules: [] };

  constructor(private readonly sql: SqlStorage) {
    this.settings = new OnboardSettings(sql);
    createIfMissing(
      sql,
      `CREATE TABLE IF NOT EXISTS devices (
      device_id TEXT PRIMARY KEY,
      device_type TEXT NOT NULL DEFAULT '',
      user_agent TEXT,
      protocol_version TEXT NOT NULL DEFAULT '',
      first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      model TEXT, imei TEXT, friendly_name TEXT, os TEXT, os_language TEXT, phone_number TEXT,
      info_user_agent TEXT, enable_outbound_sms INTEGER, mobile_operator TEXT, device_information_at INTEGER,
      policy_state TEXT NOT NULL DEFAULT 'none',
      policy_key TEXT, policy_version INTEGER, temp_policy_key TEXT, acked_temp_key TEXT,
      policy_ack_status INTEGER, policy_acked_at INTEGER,
      wipe_state TEXT NOT NULL DEFAULT 'none',
      wipe_requested_at INTEGER, wipe_sent_at INTEGER, wipe_acked_at INTEGER, wipe_ack_status INTEGER,
      access_state TEXT NOT NULL DEFAULT 'allowed', access_by TEXT NOT NULL DEFAULT 'default',
      device_password_set_at INTEGER, recovery_password TEXT, quarantine_notified_at INTEGER
    )`,
    );
    createIfMissing(sql, "CREATE INDEX IF NOT EXISTS devices_last_seen ON devices (last_seen)");
  }

  /** Called for every request: records the device (first/last seen, UA, version) and answers what the gates need.
   *  Writes at most once a minute per device unless something changed. */
  touch(seen: DeviceSeen, global?: GlobalAccess, now = Date.now()): DeviceGateState {
    if (global) this.#global = global;
    let row = this.#row(seen.deviceId);
    const decision = this.#decide({ ...seen, userAgent: seen.userAgent ?? null, model: (row?.model as string | null) ?? null });
    if (!row) {
      this.sql.exec(
        `INSERT INTO devices (device_id, device_type, user_agent, protocol_version, first_seen, last_seen, access_state, access_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        seen.deviceId,
        seen.deviceType,
        seen.userAgent ?? null,
        seen.protocolVersion,
        now,
        now,
        decision.access,
        decision.by,
      );
      row = this.#row(seen.deviceId)!;
    } else if (
      now - Number(row.last_seen) >= TOUCH_WRITE_INTERVAL_MS ||
      row.user_agent !== (seen.userAgent ?? null) ||
      row.protocol_version !== seen.protocolVersion ||
      row.device_type !== seen.deviceType ||
      row.access_state !== decision.access ||
      row.access_by !== decision.by
    ) {
      this.sql.exec(
        `UPDATE devices SET last_seen = ?, user_agent = ?, protocol_version = ?, device_type = ?, access_state = ?, access_by = ?
         WHERE device_id = ?`,
        now,
        seen.userAgent ?? null,
        seen.protocolVersion,
        seen.deviceType,
        decision.access,
        decision.by,
        seen.deviceId,
      );
    }
    const { policy, version } = this.settings.policy();
    const wipeState = row.wipe_state as WipeState;
    const notice = decision.access === "quarantined" && row.quarantine_notified_at === null;
    if (notice) this.sql.exec("UPDATE devices SET quarantine_notified_at = ? WHERE device_id = ?", now, seen.deviceId);
    return {
      ...(notice ? { quarantineNotice: true as const } : {}),
      access: decision.access,
      accessBy: decision.by,
      wipe: wipeState === "pending" || wipeState === "acknowledged" ? "full" : wipeState === "none" ? "none" : "account-only",
      wipePending: wipeState === "pending" ? "full" : wipeState === "account-only-pending" ? "account-only" : "none",
      policyEnforced: isEnforced(policy),
      policyKey: (row.policy_key as string | null) ?? null,
      policyCurrent: row.policy_state === "provisioned" && Number(row.policy_version) === version,
    };
  }

  /** The Provision command's state machine ([MS-ASPROV] 3.2.5.1). */
  provision(deviceId: string, input: ProvisionInput, now = Date.now()): ProvisionOutcome {
    this.#ensure(deviceId, input.protocolVersion, now);
    if (input.deviceInformation) this.setDeviceInformation(deviceId, input.deviceInformation, now);
    const row = this.#row(deviceId)!;
    const wipe = row.wipe_state as WipeState;

    if (input.wipeAck) {
      // MS-ASPROV_R663 / R66601: record the reported status. R664/R665: failure → Status 2 and the directive again.
      const ok = input.wipeAck.status === 1;
      const accountOnly = input.wipeAck.accountOnly;
      if (wipe === "none") return { kind: "status-only" };
      this.sql.exec(
        "UPDATE devices SET wipe_state = ?, wipe_acked_at = ?, wipe_ack_status = ? WHERE device_id = ?",
        ok ? (accountOnly ? "account-only-acknowledged" : "acknowledged") : wipe,
        now,
        input.wipeAck.status,
        deviceId,
      );
      return { kind: "wipe", accountOnly, status: ok ? 1 : 2 };
    }

    // An account-only wipe waits until the device speaks 16.1 (MS-ASPROV_R6906): never a full wipe instead.
    if (wipe !== "none" && !(wipe.startsWith("account-only") && !atLeast(input.protocolVersion, "16.1"))) {
      // MS-ASPROV_R653/MS-ASPROV_R66612: the directive is included only when a wipe was requested.
      this.sql.exec("UPDATE devices SET wipe_sent_at = ? WHERE device_id = ?", now, deviceId);
      return { kind: "wipe", accountOnly: wipe.startsWith("account-only"), status: 1 };
    }

    if (!input.policy) return { kind: "status-only" };
    // MS-ASPROV_R380: each version has its one policy type (2.5: MS-WAP-Provisioning-XML); any other is Status 3.
    if (input.policy.policyType !== policyTypeFor(input.protocolVersion)) return { kind: "policy-error", policyStatus: 3 };

    const { policy, version } = this.settings.policy();
    if (input.policy.policyKey === undefined) {
      const temp = newPolicyKey([row.policy_key, row.temp_policy_key]);
      this.sql.exec(
        "UPDATE devices SET temp_policy_key = ?, policy_state = CASE WHEN policy_state = 'provisioned' THEN policy_state ELSE 'pending' END WHERE device_id = ?",
        temp,
        deviceId,
      );
      return { kind: "policy", phase: "initial", policyKey: temp, policy };
    }

    const ackKey = input.policy.policyKey;
    // A retried acknowledgement (the response was lost) gets the same final key again.
    if (ackKey === row.acked_temp_key && row.policy_key) return { kind: "policy", phase: "ack", policyKey: String(row.policy_key) };
    // MS-ASPROV_R657/MS-ASPROV_R658/MS-ASPROV_R695: the key must be the temporary key issued in the initial response.
    if (!row.temp_policy_key || ackKey !== row.temp_policy_key) return { kind: "policy-error", policyStatus: 5 };

    const status = input.policy.status ?? 1;
    const compliant = status === 1 || !isEnforced(policy) || policy.allowNonProvisionableDevices;
    if (!compliant) {
      this.sql.exec(
        "UPDATE devices SET policy_state = 'refused', policy_ack_status = ?, policy_acked_at = ? WHERE device_id = ?",
        status,
        now,
        deviceId,
      );
      // MS-ASPROV_R455/MS-ASPROV_R1046 (partial or not applied → 139), MS-ASPROV_R461 (externally managed → 145).
      return { kind: "refused", status: status === 4 ? 145 : 139 };
    }
    const final = newPolicyKey([row.policy_key, row.temp_policy_key]);
    this.sql.exec(
      `UPDATE devices SET policy_state = 'provisioned', policy_key = ?, policy_version = ?, acked_temp_key = temp_policy_key,
       temp_policy_key = NULL, policy_ack_status = ?, policy_acked_at = ? WHERE device_id = ?`,
      final,
      version,
      status,
      now,
      deviceId,
    );
    return { kind: "policy", phase: "ack", policyKey: final };
  }

  setDeviceInformation(deviceId: string, info: DeviceInformation, now = Date.now()): void {
    this.#ensure(deviceId, "", now);
    this.sql.exec(
      `UPDATE devices SET model = ?, imei = ?, friendly_name = ?, os = ?, os_language = ?, phone_number = ?, info_user_agent = ?,
       enable_outbound_sms = ?, mobile_operator = ?, device_information_at = ? WHERE device_id = ?`,
      info.model ?? null,
      info.imei ?? null,
      info.friendlyName ?? null,
      info.os ?? null,
      info.osLanguage ?? null,
      info.phoneNumber ?? null,
      info.userAgent ?? null,
      info.enableOutboundSms === undefined ? null : info.enableOutboundSms ? 1 : 0,
      info.mobileOperator ?? null,
      now,
      deviceId,
    );
    // A model rule may now match.
    if (this.rules().some((r) => r.kind === "device-model")) this.#refreshAccess();
  }

  /** The device's recovery password ([MS-ASCMD] 2.2.3.46), kept so an admin can read it back to a locked-out user. */
  recordDevicePassword(deviceId: string, password: string, now = Date.now()): void {
    this.sql.exec("UPDATE devices SET device_password_set_at = ?, recovery_password = ? WHERE device_id = ?", now, password, deviceId);
  }

  recoveryPassword(deviceId: string): string | null {
    const row = this.sql
      .exec<{ p: string | null }>("SELECT recovery_password AS p FROM devices WHERE device_id = ?", deviceId)
      .toArray()[0];
    return row?.p ?? null;
  }

  list(): DeviceRecord[] {
    return this.sql.exec<Row>("SELECT * FROM devices ORDER BY last_seen DESC").toArray().map(toRecord);
  }

  get(deviceId: string): DeviceRecord | undefined {
    const row = this.#row(deviceId);
    return row ? toRecord(row) : undefined;
  }

  /** Returns false when the device is unknown. */
  requestWipe(deviceId: string, accountOnly: boolean, now = Date.now()): boolean {
    const cur = this.sql.exec(
      "UPDATE devices SET wipe_state = ?, wipe_requested_at = ?, wipe_sent_at = NULL, wipe_acked_at = NULL, wipe_ack_status = NULL WHERE device_id = ?",
      accountOnly ? "account-only-pending" : "pending",
      now,
      deviceId,
    );
    return cur.rowsWritten > 0;
  }

  cancelWipe(deviceId: string): boolean {
    return this.sql.exec("UPDATE devices SET wipe_state = 'none' WHERE device_id = ?", deviceId).rowsWritten > 0;
  }

  remove(deviceId: string): boolean {
    return this.sql.exec("DELETE FROM devices WHERE device_id = ?", deviceId).rowsWritten > 0;
  }

  removeStale(olderThanMs: number, now = Date.now()): string[] {
    return this.sql
      .exec<{ device_id: string }>("DELETE FROM devices WHERE last_seen < ? RETURNING device_id", now - olderThanMs)
      .toArray()
      .map((r) => r.device_id);
  }

  // The mailbox's own access rules are made by the first one added (issue 15 target 3): most mailboxes have none,
  // and every request reads them (a missing table: no rule, ddl.ts hasTable).
  rules(): AccessRule[] {
    this.#rules ??= (
      hasTable(this.sql, "device_access_rules") ? this.sql.exec<Row>("SELECT * FROM device_access_rules ORDER BY created_at").toArray() : []
    ).map((r) => ({
      id: String(r.id),
      kind: r.kind as RuleKind,
      pattern: String(r.pattern),
      access: r.access as AccessState,
      note: (r.note as string | null) ?? null,
      createdAt: Number(r.created_at),
    }));
    return this.#rules;
  }

  addRule(rule: Omit<AccessRule, "id" | "createdAt">, now = Date.now()): AccessRule {
    const saved: AccessRule = { ...rule, note: rule.note ?? null, id: crypto.randomUUID(), createdAt: now };
    createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS device_access_rules (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, pattern TEXT NOT NULL, access TEXT NOT NULL, note TEXT, created_at INTEGER NOT NULL
    )`,
    );
    this.sql.exec(
      "INSERT INTO device_access_rules (id, kind, pattern, access, note, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      saved.id,
      saved.kind,
      saved.pattern,
      saved.access,
      saved.note ?? null,
      saved.createdAt,
    );
    this.#rules = undefined;
    this.#refreshAccess();
    return saved;
  }

  removeRule(id: string): boolean {
    const removed =
      hasTable(this.sql, "device_access_rules") && this.sql.exec("DELETE FROM device_access_rules WHERE id = ?", id).rowsWritten > 0;
    this.#rules = undefined;
    this.#refreshAccess();
    return removed;
  }

  /** The mailbox's own default, undefined when it inherits the global one. */
  defaultAccess(): AccessState | undefined {
    return this.#ownDefault();
  }

  #ownDefault(): AccessState | undefined {
    return this.settings.get("default_access") as AccessState | undefined;
  }

  /** Null: inherit the global default. */
  setDefaultAccess(access: AccessState | null): void {
    if (access) this.settings.set("default_access", access);
    else this.settings.delete("default_access");
    this.#refreshAccess();
  }

  /** Keeps the stored access column (what admins see) in line with the rules. */
  #refreshAccess(): void {
    for (const r of this.sql.exec<Row>("SELECT device_id, device_type, user_agent, model FROM devices").toArray()) {
      const d = this.#decide({
        deviceId: String(r.device_id),
        deviceType: String(r.device_type),
        userAgent: r.user_agent as string | null,
        model: r.model as string | null,
      });
      this.sql.exec("UPDATE devices SET access_state = ?, access_by = ? WHERE device_id = ?", d.access, d.by, r.device_id);
    }
  }

  #decide(device: DeviceFacts) {
    return decideAccess(this.rules(), device, this.#ownDefault(), this.#global);
  }

  /** The gates record every device first; this only guards direct calls. */
  #ensure(deviceId: string, protocolVersion: string, now: number): void {
    if (!this.#row(deviceId)) this.touch({ deviceId, deviceType: "", protocolVersion }, undefined, now);
  }

  #row(deviceId: string): Row | undefined {
    return this.sql.exec<Row>("SELECT * FROM devices WHERE device_id = ?", deviceId).toArray()[0];
  }
}

/** A random 32-bit unsigned policy key ([MS-ASPROV] 2.2.2.42, MS-ASPROV_R606), never "0": a key of 0 means
 *  "not provisioned" and iPhone OS 4 loops on it (anchors §3 row 16). */
function newPolicyKey(avoid: SqlStorageValue[]): string {
  for (;;) {
    const n = crypto.getRandomValues(new Uint32Array(1))[0]!;
    const key = String(n);
    if (n !== 0 && !avoid.includes(key)) return key;
  }
}

const str = (v: SqlStorageValue) => (v === null || v === undefined ? undefined : String(v));
const numOrNull = (v: SqlStorageValue) => (v === null || v === undefined ? null : Number(v));

function toRecord(r: Row): DeviceRecord {
  return {
    deviceId: String(r.device_id),
    deviceType: String(r.device_type),
    protocolVersion: String(r.protocol_version),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    model: str(r.model),
    imei: str(r.imei),
    friendlyName: str(r.friendly_name),
    os: str(r.os),
    osLanguage: str(r.os_language),
    phoneNumber: str(r.phone_number),
    userAgent: str(r.info_user_agent) ?? str(r.user_agent),
    enableOutboundSms: r.enable_outbound_sms === null ? undefined : r.enable_outbound_sms === 1,
    mobileOperator: str(r.mobile_operator),
    deviceInformationAt: numOrNull(r.device_information_at),
    policyState: r.policy_state as PolicyState,
    policyKey: (r.policy_key as string | null) ?? null,
    policyVersion: numOrNull(r.policy_version),
    policyAckStatus: numOrNull(r.policy_ack_status),
    policyAckedAt: numOrNull(r.policy_acked_at),
    wipeState: r.wipe_state as WipeState,
    wipeRequestedAt: numOrNull(r.wipe_requested_at),
    wipeSentAt: numOrNull(r.wipe_sent_at),
    wipeAckedAt: numOrNull(r.wipe_acked_at),
    wipeAckStatus: numOrNull(r.wipe_ack_status),
    access: r.access_state as AccessState,
    accessBy: String(r.access_by),
    devicePasswordSetAt: numOrNull(r.device_password_set_at),
  };
}
