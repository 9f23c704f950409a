// Client side of the bridge end-to-end tests (issue 8): an account on the provider's servers (Dovecot login,
// Radicale login with a calendar and an address book), bridged through the admin API, and a phone that signs
// in with the account's IMAP password. Every WBXML response is validated by Phone.command.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ImapFlow } from "imapflow";
import { child, childText, childrenNamed, el, type WbxmlElement } from "../../src/wbxml/index";
import { addDovecotUser, deliverLmtp } from "../servers/dovecot";
import { addRadicaleUser } from "../servers/radicale";
import type { BridgeServers } from "./bridge-servers";
import { Phone, type PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";

export interface BridgeAccount {
  address: string;
  password: string;
}

export interface BridgeOptions {
  /** Where the Worker reaches IMAP (default: the run's Dovecot, plain, loopback). */
  imap?: { host: string; port: number; tls: "implicit" | "starttls" | "none" };
  dav?: boolean;
  push?: "notify" | "poll";
}

export interface BridgeEnv {
  workerUrl: string;
  adminToken: string;
  servers: BridgeServers;
}

let env: BridgeEnv | undefined;

/** Where the helpers below find the Worker and the servers (tests: bridge-env.ts; scripts: their own start). */
export function setBridgeEnv(e: BridgeEnv): void {
  env = e;
}

function bridgeEnv(): BridgeEnv {
  if (!env) throw new Error('setBridgeEnv() first (tests: import "./bridge-env")');
  return env;
}

export function bridgeServers(): BridgeServers {
  return bridgeEnv().servers;
}

function radicale(): NonNullable<BridgeServers["radicale"]> {
  const r = bridgeServers().radicale;
  if (!r) throw new Error("no Radicale in this run");
  return r;
}

/**
 * A new login on Dovecot and, when the run has a Radicale, on Radicale too (same password) with one calendar
 * and one address book.
 */
export async function newBridgeAccount(local: string): Promise<BridgeAccount> {
  const s = bridgeServers();
  const account = { address: `${local}@bridge.test`, password: `${local} imap secret` };
  addDovecotUser({ dir: s.dovecotDir }, { user: account.address, password: account.password });
  await loginWorks(account);
  if (!s.radicale) return account;
  addRadicaleUser(s.radicale, account.address, account.password);
  const home = `${s.radicale.url}/${encodeURIComponent(account.address)}`;
  await dav(account, "MKCOL", `${home}/calendar/`, MKCOL_CALENDAR, [201]);
  await dav(account, "MKCOL", `${home}/contacts/`, MKCOL_ADDRESSBOOK, [201]);
  return account;
}

/** Dovecot looks at its passwd-file at most once a second: wait until the new login is known (and its maildir made). */
async function loginWorks(a: BridgeAccount, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await withImap(a, async () => undefined);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

const MKCOL_CALENDAR = `<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Calendar</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></D:mkcol>`;
const MKCOL_ADDRESSBOOK = `<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><A:addressbook/></D:resourcetype><D:displayname>Contacts</D:displayname></D:prop></D:set></D:mkcol>`;

function basic(a: BridgeAccount): string {
  return "Basic " + Buffer.from(`${a.address}:${a.password}`).toString("base64");
}

/** One request to the account's Radicale; throws unless the status is one of `ok`. */
export async function dav(
  a: BridgeAccount,
  method: string,
  url: string,
  body?: string,
  ok = [200, 201, 204, 207],
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method,
    body,
    headers: { Authorization: basic(a), "Content-Type": "application/xml; charset=utf-8", ...headers },
  });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${method} ${url} → ${res.status}: ${text.slice(0, 500)}`);
  return { status: res.status, text, headers: res.headers };
}

/** The account's calendar / address book URLs on Radicale. */
export function davCollection(a: BridgeAccount, which: "calendar" | "contacts"): string {
  return `${radicale().url}/${encodeURIComponent(a.address)}/${which}/`;
}

/** The admin call of the "Deliver 1": `POST /admin/v1/mailboxes {address, backend}`. */
export async function bridgeMailbox(a: BridgeAccount, opts: BridgeOptions = {}): Promise<Response> {
  const s = bridgeServers();
  const backend = {
    kind: "imap",
    imap: opts.imap ?? { host: s.imap.host, port: s.imap.port, tls: "none" },
    smtp: { host: s.smtp.host, port: s.smtp.port, tls: "none", auth: "account" },
    ...(opts.dav === false || !s.radicale ? {} : { dav: { url: `${s.radicale.url}/` } }),
    push: opts.push ?? "notify",
  };
  return admin("POST", "/mailboxes", { address: a.address, backend });
}

export function admin(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${bridgeEnv().adminToken}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`${bridgeEnv().workerUrl}/admin/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function bridgedPhone(a: BridgeAccount, deviceId: string, protocolVersion = "16.1", password = a.password): Phone {
  return new Phone({
    baseUrl: bridgeEnv().workerUrl,
    user: a.address,
    password,
    deviceId,
    deviceType: "iPhone",
    protocolVersion,
    userAgent: "Apple-iPhone16C1/2201.83",
  });
}

/** Another IMAP client on the same account (imapflow, plain on loopback). Caller logs out. */
export async function imapClient(a: BridgeAccount): Promise<ImapFlow> {
  const s = bridgeServers();
  const c = new ImapFlow({
    host: s.imap.host,
    port: s.imap.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: a.address, pass: a.password },
    logger: false,
  });
  await c.connect();
  return c;
}

export async function withImap<T>(a: BridgeAccount, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = await imapClient(a);
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** Subjects of every message in an IMAP folder, sorted (another client's view of the server). */
export function imapSubjects(a: BridgeAccount, folder: string): Promise<string[]> {
  return withImap(a, async (c) => {
    const st = await c.status(folder, { messages: true });
    // biome-ignore lint/complexity/useOptionalChain: imapflow answers false, not undefined, and false?.x does not type-check
    if (!st || !st.messages) return [];
    const lock = await c.getMailboxLock(folder);
    try {
      const out: string[] = [];
      for await (const m of c.fetch("1:*", { envelope: true })) out.push(m.envelope?.subject ?? "");
      return out.sort();
    } finally {
      lock.release();
    }
  });
}

export async function imapUidValidity(a: BridgeAccount, folder: string): Promise<bigint | undefined> {
  return withImap(a, async (c) => {
    const st = await c.status(folder, { uidValidity: true });
    return st ? st.uidValidity : undefined;
  });
}

/** The account's maildir on the test Dovecot (mail_location uses the local part: test/servers/dovecot.ts). */
export function maildirOf(a: BridgeAccount): string {
  return path.join(bridgeServers().dovecotDir, "mail", a.address.split("@")[0]!);
}

/**
 * A folder "restored from a backup": same messages, UIDs and mailbox GUID, a new UIDVALIDITY. Done in the
 * maildir (the UIDVALIDITY in Dovecot's dovecot-uidlist header; Dovecot notices the change and rebuilds its
 * index): IMAP has no command for it.
 */
export function bumpUidValidity(a: BridgeAccount, folder: string): void {
  const home = maildirOf(a);
  const dir = folder.toUpperCase() === "INBOX" ? home : path.join(home, "." + folder.replace(/\//g, "."));
  const uidlist = path.join(dir, "dovecot-uidlist");
  const text = readFileSync(uidlist, "utf8");
  const bumped = text.replace(/^(\d+) V(\d+)/, (_m, version: string, v: string) => `${version} V${Number(v) + 1000}`);
  if (bumped === text) throw new Error(`no UIDVALIDITY in ${uidlist}`);
  writeFileSync(uidlist, bumped);
}

/** A message handed to Dovecot over LMTP, as the provider's MTA delivers it. */
export function deliver(a: BridgeAccount, subject: string, body = "hello from the MTA"): Promise<void> {
  const s = bridgeServers();
  const id = `<${Date.now()}.${Math.random().toString(36).slice(2)}@mta.test>`;
  const raw = `From: Bob <bob@mta.test>\r\nTo: ${a.address}\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: ${new Date().toUTCString()}\r\n\r\n${body}\r\n`;
  return deliverLmtp({ host: s.imap.host, lmtpPort: s.lmtpPort }, a.address, raw);
}

export interface SubmittedMessage {
  user: string;
  from: string;
  to: string[];
  raw: string;
}

/** What the submission server received (raw decoded from base64). */
export async function submitted(): Promise<SubmittedMessage[]> {
  const res = await fetch(`${bridgeServers().smtp.controlUrl}/messages`);
  const list = (await res.json()) as SubmittedMessage[];
  return list.map((m) => ({ ...m, raw: Buffer.from(m.raw, "base64").toString("utf8") }));
}

// ---------- the phone's side ----------

export const A = (name: string, ...kids: (WbxmlElement | string | number | false | undefined)[]) => el("AirSync", name, ...kids);
export const status = (r: PhoneResponse) => childText(r.tree, "Status");
export const collection = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
export const commands = (r: PhoneResponse, op: string) => childrenNamed(child(collection(r), "Commands"), op);

export interface PhoneFolder {
  id: string;
  parentId: string;
  name: string;
  type: number;
}

/** FolderSync from key 0 (or `key`): the folders added or updated, the ids deleted, and the new key. */
export async function folderSync(
  p: Phone,
  key = "0",
): Promise<{ key: string; folders: PhoneFolder[]; deleted: string[]; response: PhoneResponse }> {
  const r = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", key)));
  if (r.status !== 200) throw new Error(`FolderSync: HTTP ${r.status}`);
  if (status(r) !== "1") throw new Error(`FolderSync: Status ${status(r)}\n${r.xml}`);
  const changes = child(r.tree, "Changes");
  const folders = [...childrenNamed(changes, "Add"), ...childrenNamed(changes, "Update")].map((a) => ({
    id: childText(a, "ServerId")!,
    parentId: childText(a, "ParentId")!,
    name: childText(a, "DisplayName")!,
    type: Number(childText(a, "Type")),
  }));
  const deleted = childrenNamed(changes, "Delete").map((d) => childText(d, "ServerId")!);
  return { key: childText(r.tree, "SyncKey")!, folders, deleted, response: r };
}

export function folderOfType(folders: PhoneFolder[], type: number): PhoneFolder {
  const f = folders.find((x) => x.type === type);
  if (!f) throw new Error(`no folder of type ${type} in ${JSON.stringify(folders)}`);
  return f;
}

const MAIL_OPTIONS = A(
  "Options",
  A("FilterType", 0),
  el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 4096)),
);

export interface SyncedItems {
  key: string;
  /** ServerId → ApplicationData of every Add seen. */
  items: Map<string, WbxmlElement>;
  /** Responses in order (each validated), for timing and the Server-Timing header. */
  responses: PhoneResponse[];
}

/** Sync a collection from SyncKey 0 to the end (no MoreAvailable), `windowSize` items per page. */
export async function syncAll(p: Phone, id: string, windowSize = 100, options: WbxmlElement = MAIL_OPTIONS): Promise<SyncedItems> {
  const boot = await p.command("Sync", syncRequest(id, "0"));
  if (childText(collection(boot), "Status") !== "1") throw new Error(`Sync boot: ${boot.status} ${boot.xml}`);
  return syncMore(p, id, childText(collection(boot), "SyncKey")!, windowSize, options);
}

/** Sync from `key` until nothing more is available; an empty response (nothing changed) ends it too. */
export async function syncMore(
  p: Phone,
  id: string,
  key: string,
  windowSize = 100,
  options: WbxmlElement = MAIL_OPTIONS,
): Promise<SyncedItems> {
  const items = new Map<string, WbxmlElement>();
  const responses: PhoneResponse[] = [];
  for (;;) {
    const r = await p.command("Sync", syncRequest(id, key, [A("GetChanges"), A("WindowSize", windowSize), options]));
    responses.push(r);
    if (r.status !== 200) throw new Error(`Sync: HTTP ${r.status}`);
    if (r.raw.length === 0) break;
    const c = collection(r);
    if (childText(c, "Status") !== "1") throw new Error(`Sync: Status ${childText(c, "Status")}\n${r.xml}`);
    for (const a of commands(r, "Add")) items.set(childText(a, "ServerId")!, child(a, "ApplicationData")!);
    key = childText(c, "SyncKey")!;
    if (!child(c, "MoreAvailable")) break;
  }
  return { key, items, responses };
}

/** One Sync round from `key` carrying the phone's own `changes` (Add/Change/Delete); the response as is. */
export function syncWithChanges(
  p: Phone,
  id: string,
  key: string,
  changes: WbxmlElement[],
  extra: WbxmlElement[] = [],
): Promise<PhoneResponse> {
  return p.command("Sync", syncRequest(id, key, [A("GetChanges"), A("WindowSize", 100), ...extra, A("Commands", ...changes)]));
}

export function pingBody(heartbeat: number, folders: [string, string][]): WbxmlElement {
  return el(
    "Ping",
    "Ping",
    el("Ping", "HeartbeatInterval", heartbeat),
    el("Ping", "Folders", ...folders.map(([id, cls]) => el("Ping", "Folder", el("Ping", "Id", id), el("Ping", "Class", cls)))),
  );
}

export async function within<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([p, new Promise<"pending">((res) => (t = setTimeout(() => res("pending"), ms)))]);
  clearTimeout(t);
  return r;
}

/** The mailbox time the Sync route reports (`Server-Timing: mailbox;dur=…`), or null without one. */
export function serverTimingMs(r: PhoneResponse, metric = "mailbox"): number | null {
  const m = new RegExp(`(?:^|,)\\s*${metric};dur=([0-9.]+)`).exec(r.headers.get("Server-Timing") ?? "");
  return m ? Number(m[1]) : null;
}
