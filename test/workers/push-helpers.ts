import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { EasRequest, EasResponse } from "../../src/eas/front/command";
import { Ping } from "../../src/eas/commands/Ping";
import { child, childrenNamed, childText, el, text, type WbxmlElement } from "../../src/wbxml";

export function easRequest(user: string, deviceId: string, body: WbxmlElement | null, extra: Partial<EasRequest> = {}): EasRequest {
  return {
    cmd: "Ping",
    user,
    deviceId,
    deviceType: "iPhone",
    protocolVersion: "14.1",
    params: {},
    acceptMultiPart: false,
    body,
    rawBody: new Uint8Array(body ? 1 : 0),
    contentType: "application/vnd.ms-sync.wbxml",
    mailbox: env.MAILBOX.getByName(user),
    ...extra,
  };
}

export function pingBody(heartbeat: number | undefined, folders: [string, string][] | undefined): WbxmlElement {
  return el(
    "Ping",
    "Ping",
    heartbeat !== undefined ? el("Ping", "HeartbeatInterval", heartbeat) : null,
    folders
      ? el("Ping", "Folders", ...folders.map(([id, cls]) => el("Ping", "Folder", el("Ping", "Id", id), el("Ping", "Class", cls))))
      : null,
  );
}

export interface PingResult {
  status: number;
  folders: string[];
  maxFolders?: number;
  heartbeat?: number;
  children: string[];
}

export function readPing(res: EasResponse): PingResult {
  if (res.kind !== "wbxml") throw new Error(`expected WBXML, got ${res.kind}`);
  const b = res.body;
  return {
    status: Number(childText(b, "Status")),
    folders: childrenNamed(child(b, "Folders"), "Folder").map((f) => text(f) ?? ""),
    maxFolders: childText(b, "MaxFolders") ? Number(childText(b, "MaxFolders")) : undefined,
    heartbeat: childText(b, "HeartbeatInterval") ? Number(childText(b, "HeartbeatInterval")) : undefined,
    children: b.children.map((c) => (typeof c === "object" && "name" in c ? c.name : "?")),
  };
}

export function ping(user: string, deviceId: string, body: WbxmlElement | null, extra: Partial<EasRequest> = {}): Promise<PingResult> {
  return Ping.handle(easRequest(user, deviceId, body, extra)).then(readPing);
}

/** Resolves with the value, or "pending" if the promise has not settled within `ms`. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([p, new Promise<"pending">((res) => (timer = setTimeout(() => res("pending"), ms)))]);
  clearTimeout(timer);
  return r;
}

/** Polls until the mailbox holds `n` wait sockets. */
export async function waitsOpen(user: string, n: number): Promise<void> {
  const stub = env.MAILBOX.getByName(user);
  for (let i = 0; i < 200; i++) {
    if ((await stub.waitCount()) === n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`expected ${n} waits on ${user}, have ${await stub.waitCount()}`);
}

/** The device runs FolderSync from key 0: it now has a hierarchy that can go out of date. */
export async function folderSynced(user: string, deviceId: string): Promise<void> {
  const r = await env.MAILBOX.getByName(user).folderSync(deviceId, "0");
  if (r.status !== 1) throw new Error(`FolderSync status ${r.status}`);
}

/** A folder created in the store behind every device's back (what an IMAP client or the admin would do). */
export async function createStoreFolder(user: string, name: string): Promise<string> {
  return runInDurableObject(env.MAILBOX.getByName(user), async (mb: Mailbox) => (await mb.store.createFolder("0", name, 12)).id);
}

/**
 * Polls until the device's wait has taken its baseline of `folder`, a folder it never synced: changes are
 * counted from that baseline (ItemOps.pendingChanges), read by the wait's first check, which runs after its
 * socket is registered (waitsOpen) and may wait for the store (a bridged mailbox's one IMAP session, busy
 * with another device or background work). Mail delivered before that is taken into the baseline.
 */
export async function baselineTaken(user: string, deviceId: string, folder: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const n = await runInDurableObject(
      env.MAILBOX.getByName(user),
      async (_mb: Mailbox, state) =>
        state.storage.sql.exec(`SELECT 1 FROM sync_watch_baseline WHERE device_id = ? AND collection_id = ?`, deviceId, folder).toArray()
          .length,
    );
    if (n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no watch baseline for ${deviceId} on ${folder} (${user})`);
}
