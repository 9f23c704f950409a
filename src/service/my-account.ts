// What a mailbox owner may see and do about their own mailbox ("My phones", src/web/my/): their devices, a
// remote wipe or removal of one of them (recorded in the audit log under `mailbox:<address>`, actor
// `customer:<address>`), and their subscription with the evidence of a suspension. The caller has already
// authenticated the address with the directory; nothing here takes an address from anyone else.
import { and, desc, eq, isNull } from "drizzle-orm";
import { accounts, mailboxBackends, subscriptions, suspensions } from "../db/schema";
import type { DeviceRecord } from "../mailbox/contract";
import { audit } from "./audit";
import type { ServiceDeps } from "./deps";
import { latestEligibility } from "./eligibility";
import { endMailboxWaits } from "./mailbox-link";
import { finalStatuses } from "./subscription-states";

export const mailboxSubject = (address: string) => `mailbox:${address}`;

/**
 * A short value that changes when the login's password is changed (new hash and salt) and is null once the
 * login is gone. A session carries the value from sign-in, so a password reset or a deleted mailbox ends every
 * session at once. Bridged mailboxes' passwords live on the provider's server: their value is constant.
 */
export async function loginStamp(d: ServiceDeps, address: string): Promise<string | null> {
  const [[acc], [bridged]] = await d.db.batch([
    d.db.select({ hash: accounts.passwordHash, salt: accounts.salt }).from(accounts).where(eq(accounts.address, address)).limit(1),
    d.db.select({ address: mailboxBackends.address }).from(mailboxBackends).where(eq(mailboxBackends.address, address)).limit(1),
  ]);
  if (bridged) return "bridged";
  if (!acc) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${acc.salt}:${acc.hash}`));
  return Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The owner's devices, most recently seen first. */
export async function ownDevices(d: ServiceDeps, address: string): Promise<DeviceRecord[]> {
  return (await d.env.MAILBOX.getByName(address).listDevices()) as DeviceRecord[];
}

const deviceSummary = (x: DeviceRecord) => ({
  device_id: x.deviceId,
  device_type: x.deviceType,
  model: x.model ?? null,
  wipe: x.wipeState,
});

/**
 * Asks the device to wipe itself on its next request: the whole phone (the owner's lost phone), or with
 * `accountOnly` only this account's data (EAS 16.1 AccountOnlyRemoteWipe, [MS-ASPROV] 2.2.2.1; the caller
 * checks the device speaks 16.1, as the admin API does). Null: no such device.
 */
export async function wipeOwnDevice(d: ServiceDeps, address: string, deviceId: string, accountOnly = false): Promise<DeviceRecord | null> {
  const mbx = d.env.MAILBOX.getByName(address);
  const before = (await mbx.getDevice(deviceId)) as DeviceRecord | null;
  if (!before) return null;
  await mbx.requestWipe(deviceId, accountOnly);
  const after = (await mbx.getDevice(deviceId)) as DeviceRecord;
  await audit(d, "device.wipe_requested", mailboxSubject(address), deviceSummary(before), deviceSummary(after));
  // A phone waiting in a Ping comes back at once and meets the wipe.
  await endMailboxWaits(d.env, address, "remote wipe requested by the owner");
  return after;
}

/** Removes the partnership (the phone is forgotten; nothing on it is erased). False: no such device. */
export async function removeOwnDevice(d: ServiceDeps, address: string, deviceId: string): Promise<boolean> {
  const mbx = d.env.MAILBOX.getByName(address);
  const before = (await mbx.getDevice(deviceId)) as DeviceRecord | null;
  if (!before) return false;
  await mbx.removeDevice(deviceId);
  await audit(d, "device.removed", mailboxSubject(address), deviceSummary(before), null);
  await endMailboxWaits(d.env, address, "device removed by the owner");
  return true;
}

export interface OwnSuspension {
  reason: "eligibility" | "illicit_use" | "other";
  suspendedAt: Date;
  /** eligibility: the conditions found lost (from the latest check when it still shows one, else the suspension's own). */
  lost: { condition: string; evidence: unknown; checkedAt: string | null }[];
  /** other: the note staff gave, if any. */
  note: string | null;
}

export interface OwnSubscription {
  status: string;
  termStart: Date | null;
  termEnd: Date | null;
  renews: boolean;
  graceUntil: Date | null;
  priceCents: number;
  currency: string;
  suspensions: OwnSuspension[];
  lastCheckAt: string | null;
}

/** The mailbox's current subscription (or its latest one when all are over); null when it never had one. */
export async function ownSubscription(d: ServiceDeps, address: string): Promise<OwnSubscription | null> {
  const subs = await d.db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.mailboxAddress, address))
    .orderBy(desc(subscriptions.createdAt))
    .limit(20);
  const s = subs.find((x) => !finalStatuses.includes(x.status)) ?? subs[0];
  if (!s) return null;
  const open =
    s.status === "suspended"
      ? await d.db
          .select()
          .from(suspensions)
          .where(and(eq(suspensions.subscriptionId, s.id), isNull(suspensions.liftedAt)))
      : [];
  const latest = await latestEligibility(d, s.id);
  const latestLost = latest
    ? Object.entries(latest.conditions)
        .filter(([, r]) => r.status === "lost")
        .map(([condition, r]) => ({ condition, evidence: r.evidence, checkedAt: r.checked_at }))
    : [];
  return {
    status: s.status,
    termStart: s.termStart,
    termEnd: s.termEnd,
    renews: !s.cancelledAt && (s.status === "active" || s.status === "suspended" || s.status === "pending_payment"),
    graceUntil: s.graceUntil,
    priceCents: s.priceCents,
    currency: s.currency,
    lastCheckAt: latest?.checkedAt ?? null,
    suspensions: open.map((x) => {
      const ev = (x.evidence ?? {}) as { lost?: { condition: string; evidence: unknown }[]; note?: unknown };
      return {
        reason: x.reason,
        suspendedAt: x.suspendedAt,
        lost:
          x.reason !== "eligibility"
            ? []
            : latestLost.length
              ? latestLost
              : (ev.lost ?? []).map((l) => ({ condition: l.condition, evidence: l.evidence, checkedAt: null })),
        note: x.reason === "other" && typeof ev.note === "string" ? ev.note : null,
      };
    }),
  };
}
