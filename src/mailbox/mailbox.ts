import { DurableObject } from "cloudflare:workers";
import type { Policy } from "../eas/policy";
import type { AccessRule, AccessState } from "./device-access";
import { DeviceRegistry, type DeviceInformation, type DeviceSeen, type ProvisionInput } from "./devices";
import { decideOofReply, OofStore, type IncomingForOof, type OofSettings } from "./oof";
import { buildOofReply } from "./oof-reply";
import { SubscriptionStateStore, type MailboxSubscriptionState } from "./subscription-state";

/** One Durable Object per mailbox: devices, sync state, waits. */
export class Mailbox extends DurableObject<Env> {
  #subscription?: SubscriptionStateStore;

  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }

  // ---- Devices, provisioning, access, out-of-office (logic in devices.ts, oof.ts) ----
  #deviceRegistry?: DeviceRegistry;
  #oofStore?: OofStore;
  get #devices() {
    return (this.#deviceRegistry ??= new DeviceRegistry(this.ctx.storage.sql));
  }
  get #oof() {
    return (this.#oofStore ??= new OofStore(this.ctx.storage.sql));
  }
  touchDevice(seen: DeviceSeen) { return this.#devices.touch(seen); }
  provision(deviceId: string, input: ProvisionInput) { return this.#devices.provision(deviceId, input); }
  setDeviceInformation(deviceId: string, info: DeviceInformation) { this.#devices.setDeviceInformation(deviceId, info); }
  recordDevicePassword(deviceId: string, password: string) { this.#devices.recordDevicePassword(deviceId, password); }
  deviceRecoveryPassword(deviceId: string) { return this.#devices.recoveryPassword(deviceId); }
  listDevices() { return this.#devices.list(); }
  getDevice(deviceId: string) { return this.#devices.get(deviceId) ?? null; }
  requestWipe(deviceId: string, accountOnly: boolean) { return this.#devices.requestWipe(deviceId, accountOnly); }
  cancelWipe(deviceId: string) { return this.#devices.cancelWipe(deviceId); }
  removeDevice(deviceId: string) { return this.#devices.remove(deviceId); }
  removeStaleDevices(olderThanMs: number) { const deviceIds = this.#devices.removeStale(olderThanMs); return { removed: deviceIds.length, deviceIds }; }
  getPolicy() { return this.#devices.settings.policy(); }
  setPolicy(policy: Policy) { return this.#devices.settings.setPolicy(policy); }
  listAccessRules() { return { rules: this.#devices.rules(), defaultAccess: this.#devices.defaultAccess() }; }
  addAccessRule(rule: Omit<AccessRule, "id" | "createdAt">) { return this.#devices.addRule(rule); }
  removeAccessRule(id: string) { return this.#devices.removeRule(id); }
  setDefaultAccess(access: AccessState) { this.#devices.setDefaultAccess(access); }
  getOof() { return this.#oof.get().settings; }
  setOof(settings: OofSettings) { this.#oof.set(settings); }
  /** For the delivery path: the auto-reply to send for this incoming message (raw MIME), or null. */
  oofReplyFor(mailbox: string, msg: IncomingForOof & { subject?: string; messageId?: string }, displayName?: string) {
    const now = new Date();
    const d = decideOofReply(this.#oof.get().settings, mailbox, msg, now);
    if (!d.reply || !this.#oof.claimReply(d.to, now.getTime())) return null;
    return buildOofReply({ mailbox, displayName, to: d.to, originalSubject: msg.subject, originalMessageId: msg.messageId, message: d.message, now });
  }

  /** Pushed by src/service on every subscription change. */
  async setSubscriptionState(state: MailboxSubscriptionState): Promise<{ applied: boolean }> {
    return { applied: (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).set(state) };
  }

  /** Read by the subscription gate on the device path; null = no order yet (not gated). */
  async getSubscriptionState(): Promise<MailboxSubscriptionState | null> {
    return (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).get();
  }
}
