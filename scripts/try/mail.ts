// Issue 3 "done when", tried as a new user would: against a running `npm start`, a phone speaking only WBXML
// over HTTP sets up the printed demo account — FolderSync, full Inbox sync to the end, marks a message read,
// flags one, deletes one, moves one, fetches the 10 MB attachment by Range — and saves what it did in
// .wrangler/try-mail.json. Restart `npm start`, then run with --verify: the same device finds everything as it
// left it (keys still valid, no changes pending) and a fresh sync shows the read, flag, delete and move.
//   npm run try:mail [-- --url http://127.0.0.1:8787] [-- --user demo@example.test --password demo]
//   npm run try:mail -- --verify
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { syncRequest } from "../../test/node/sync-requests";
import { brief, check, finish, options, phone, type Phone, type PhoneResponse, say, step } from "./lib";

const o = options();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const stateFile = o.values.get("state") ?? path.join(root, ".wrangler", "try-mail.json");
const USER = o.values.get("user") ?? "demo@example.test";
const PASSWORD = o.values.get("password") ?? "demo";
const RANGE = 1024 * 1024;

interface Saved {
  url: string;
  deviceId: string;
  folders: Record<string, string>; // role → ServerId
  folderKey: string;
  keys: Record<string, string>; // ServerId → SyncKey
  inboxCount: number;
  inboxIds: string[]; // what the device holds in its Inbox when it stops
  read: { id: string; subject: string };
  flagged: { id: string; subject: string };
  deleted: { id: string; subject: string };
  moved: { from: string; to: string; subject: string };
  attachment: { ref: string; total: number; sha256: string; firstRangeSha256: string };
}

const coll = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
const commands = (r: PhoneResponse, op: string) => childrenNamed(child(coll(r), "Commands"), op);
const bodyOptions = el(
  "AirSync",
  "Options",
  el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 2), el("AirSyncBase", "TruncationSize", 256)),
);

function device(deviceId: string): Phone {
  return phone(o, {
    user: USER,
    password: PASSWORD,
    deviceId,
    deviceType: "iPhone",
    protocolVersion: "16.1",
    userAgent: "Apple-iPhone16C1/2201.83",
  });
}

interface Item {
  id: string;
  subject: string;
  data: WbxmlElement;
}

/** Sync from key 0 to the end (MoreAvailable), returning the items and the last key. */
async function fullSync(
  p: Phone,
  folderId: string,
  windowSize: number,
  log = true,
): Promise<{ items: Item[]; key: string; requests: number }> {
  const boot = await p.command("Sync", syncRequest(folderId, "0"));
  check(childText(coll(boot), "Status") === "1", `Sync SyncKey 0 of ${folderId}: expected Status 1, got\n${brief(boot)}`);
  let key = childText(coll(boot), "SyncKey")!;
  const items: Item[] = [];
  let requests = 1;
  for (;;) {
    const t0 = performance.now();
    const r = await p.command("Sync", syncRequest(folderId, key, [el("AirSync", "WindowSize", windowSize), bodyOptions]));
    requests++;
    check(r.status === 200, `Sync: HTTP ${r.status}`);
    if (!r.tree) break; // empty response: nothing more
    check(childText(coll(r), "Status") === "1", `Sync ${key}: expected Status 1, got\n${brief(r)}`);
    const adds = commands(r, "Add").map((a) => {
      const data = child(a, "ApplicationData")!;
      return { id: childText(a, "ServerId")!, subject: childText(data, "Subject") ?? "", data };
    });
    items.push(...adds);
    key = childText(coll(r), "SyncKey")!;
    const more = !!child(coll(r), "MoreAvailable");
    if (log)
      say(
        `Sync → ${adds.length} Add, MoreAvailable=${more}, ${r.raw.length} bytes, ${(performance.now() - t0).toFixed(0)} ms round trip incl. XSD check (server: ${r.headers.get("Server-Timing") ?? "no Server-Timing"})`,
      );
    if (!more) break;
  }
  return { items, key, requests };
}

function bigAttachment(items: Item[]): { item: Item; ref: string; size: number } | undefined {
  for (const item of items) {
    for (const a of childrenNamed(child(item.data, "Attachments"), "Attachment")) {
      const size = Number(childText(a, "EstimatedDataSize"));
      if (size > 5_000_000) return { item, ref: childText(a, "FileReference")!, size };
    }
  }
  return undefined;
}

async function fetchRange(p: Phone, ref: string, from: number, to: number): Promise<{ data: Uint8Array; total: number; ms: number }> {
  const t0 = performance.now();
  const r = await p.command(
    "ItemOperations",
    el(
      "ItemOperations",
      "ItemOperations",
      el(
        "ItemOperations",
        "Fetch",
        el("ItemOperations", "Store", "Mailbox"),
        el("AirSyncBase", "FileReference", ref),
        el("ItemOperations", "Options", el("ItemOperations", "Range", `${from}-${to}`)),
      ),
    ),
    { acceptMultiPart: true },
  );
  const ms = performance.now() - t0;
  check(
    r.status === 200 && r.parts,
    `ItemOperations Range ${from}-${to}: expected a multipart response, got HTTP ${r.status} ${r.headers.get("Content-Type")}\n${brief(r)}`,
  );
  const fetchEl = child(child(r.tree, "Response"), "Fetch");
  check(
    childText(fetchEl, "Status") === "1",
    `ItemOperations Range ${from}-${to}: Fetch Status ${childText(fetchEl, "Status")}\n${brief(r)}`,
  );
  const props = child(fetchEl, "Properties");
  const part = Number(childText(props, "Part"));
  return { data: r.parts![part], total: Number(childText(props, "Total")), ms };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function folderSync(p: Phone, key: string): Promise<PhoneResponse> {
  const r = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", key)));
  check(childText(r.tree, "Status") === "1", `FolderSync ${key}: expected Status 1, got\n${brief(r)}`);
  return r;
}

function folderAdds(r: PhoneResponse): { id: string; name: string; type: number }[] {
  return childrenNamed(child(r.tree, "Changes"), "Add").map((a) => ({
    id: childText(a, "ServerId")!,
    name: childText(a, "DisplayName")!,
    type: Number(childText(a, "Type")),
  }));
}

async function setUp(): Promise<void> {
  const deviceId = `try${Date.now().toString(36)}`;
  const p = device(deviceId);
  console.log(`Mail as a new phone: ${USER} on ${o.url}, DeviceId ${deviceId}, EAS 16.1`);
  const saved: Partial<Saved> = { url: o.url, deviceId, keys: {} };

  const fs = await step("FolderSync SyncKey 0 (the folder list)", async () => {
    const r = await folderSync(p, "0");
    const adds = folderAdds(r);
    for (const f of adds) say(`${f.id.padEnd(4)} type ${String(f.type).padEnd(3)} ${f.name}`);
    const byType = (t: number) => adds.find((f) => f.type === t)?.id;
    const folders = { inbox: byType(2), deleted: byType(4), sent: byType(5) };
    check(folders.inbox && folders.deleted && folders.sent, "Inbox (2), Deleted Items (4) and Sent Items (5) expected among the folders");
    saved.folderKey = childText(r.tree, "SyncKey")!;
    return { folders: folders as Record<string, string>, adds };
  });
  saved.folders = fs!.folders;

  await step('FolderCreate "Archive" (where a message will be moved), unless it exists', async () => {
    const existing = fs!.adds.find((f) => f.name === "Archive");
    if (existing) {
      saved.folders!.archive = existing.id;
      say(`already there: ServerId ${existing.id}`);
      return;
    }
    const r = await p.command(
      "FolderCreate",
      el(
        "FolderHierarchy",
        "FolderCreate",
        el("FolderHierarchy", "SyncKey", saved.folderKey!),
        el("FolderHierarchy", "ParentId", "0"),
        el("FolderHierarchy", "DisplayName", "Archive"),
        el("FolderHierarchy", "Type", 12),
      ),
    );
    say(brief(r, 6).split("\n").join("\n     "));
    check(childText(r.tree, "Status") === "1", "FolderCreate: expected Status 1");
    saved.folders!.archive = childText(r.tree, "ServerId")!;
    saved.folderKey = childText(r.tree, "SyncKey")!;
  });

  const inbox = saved.folders.inbox;
  const sync = await step("Sync the Inbox from SyncKey 0 to the end (WindowSize 10, plain-text bodies truncated at 256)", async () => {
    const t0 = performance.now();
    const r = await fullSync(p, inbox, 10);
    const ids = new Set(r.items.map((i) => i.id));
    check(ids.size === r.items.length, `duplicates: ${r.items.length} Adds for ${ids.size} ServerIds`);
    check(r.items.length >= 5, `expected the demo mail in the Inbox, found ${r.items.length} messages`);
    say(`${r.items.length} messages in ${r.requests} requests, ${(performance.now() - t0).toFixed(0)} ms`);
    for (const i of r.items.slice(0, 40)) say(`${i.id.padEnd(8)} read=${childText(i.data, "Read")} ${i.subject.slice(0, 80)}`);
    return r;
  });
  saved.inboxCount = sync!.items.length;
  let key = sync!.key;

  const big = bigAttachment(sync!.items);
  const others = sync!.items.filter((i) => i !== big?.item);
  const unread = others.filter((i) => childText(i.data, "Read") !== "1");
  const toRead = unread[0] ?? others[0];
  const rest = others.filter((i) => i !== toRead);
  const [toFlag, toDelete, toMove] = rest;

  await step(`Mark read "${toRead.subject}", flag "${toFlag.subject}", delete "${toDelete.subject}" (one Sync)`, async () => {
    const r = await p.command(
      "Sync",
      syncRequest(inbox, key, [
        el(
          "AirSync",
          "Commands",
          el("AirSync", "Change", el("AirSync", "ServerId", toRead.id), el("AirSync", "ApplicationData", el("Email", "Read", "1"))),
          el(
            "AirSync",
            "Change",
            el("AirSync", "ServerId", toFlag.id),
            el(
              "AirSync",
              "ApplicationData",
              el("Email", "Flag", el("Email", "Status", "2"), el("Email", "FlagType", "Flag for follow up")),
            ),
          ),
          el("AirSync", "Delete", el("AirSync", "ServerId", toDelete.id)),
        ),
      ]),
    );
    say(brief(r).split("\n").join("\n     "));
    check(childText(coll(r), "Status") === "1", "Sync with Change/Change/Delete: expected Status 1");
    const failed = [...commands(r, "Change"), ...commands(r, "Delete")].filter(
      (c) => childText(c, "Status") && childText(c, "Status") !== "1",
    );
    check(failed.length === 0, "a command came back with a non-1 Status");
    key = childText(coll(r), "SyncKey")!;
  });
  saved.read = { id: toRead.id, subject: toRead.subject };
  saved.flagged = { id: toFlag.id, subject: toFlag.subject };
  saved.deleted = { id: toDelete.id, subject: toDelete.subject };

  await step(`MoveItems "${toMove.subject}" from the Inbox to Archive`, async () => {
    const r = await p.command(
      "MoveItems",
      el(
        "Move",
        "MoveItems",
        el(
          "Move",
          "Move",
          el("Move", "SrcMsgId", toMove.id),
          el("Move", "SrcFldId", inbox),
          el("Move", "DstFldId", saved.folders!.archive),
        ),
      ),
    );
    say(brief(r).split("\n").join("\n     "));
    check(childText(child(r.tree, "Response"), "Status") === "3", "MoveItems: expected Status 3 (success)");
    saved.moved = { from: toMove.id, to: childText(child(r.tree, "Response"), "DstMsgId")!, subject: toMove.subject };
  });

  await step("Sync the Inbox again: the device's own changes are not echoed back (empty response)", async () => {
    const r = await p.command("Sync", syncRequest(inbox, key));
    say(brief(r, 8).split("\n").join("\n     "));
    check(r.status === 200, `HTTP ${r.status}`);
    if (r.tree) {
      check(childText(coll(r), "Status") === "1", "expected Status 1");
      check(!child(coll(r), "Commands"), "expected no server changes after the device's own");
      key = childText(coll(r), "SyncKey")!;
    }
  });
  saved.keys![inbox] = key;
  saved.inboxIds = sync!.items.map((i) => i.id).filter((id) => id !== toDelete.id && id !== toMove.id);

  await step("Sync Deleted Items and Archive to the end (the device learns their keys)", async () => {
    for (const role of ["deleted", "archive"]) {
      const r = await fullSync(p, saved.folders![role], 100, false);
      saved.keys![saved.folders![role]] = r.key;
      say(`${role}: ${r.items.length} messages`);
      const want = role === "deleted" ? saved.deleted!.subject : saved.moved!.subject;
      check(
        r.items.some((i) => i.subject === want),
        `${role}: "${want}" expected there`,
      );
    }
  });

  await step(`ItemOperations: fetch the big attachment by Range, ${RANGE / 1048576} MiB per request, multipart`, async () => {
    check(big, "no attachment above 5 MB in the Inbox (the demo seed has a 10 MB one)");
    say(`"${big.item.subject}", FileReference ${big.ref}, EstimatedDataSize ${big.size}`);
    const hash = createHash("sha256");
    let total = Infinity;
    let got = 0;
    let firstRangeSha256 = "";
    const times: number[] = [];
    const t0 = performance.now();
    while (got < total) {
      const r = await fetchRange(p, big.ref, got, got + RANGE - 1);
      if (got === 0) firstRangeSha256 = sha(r.data);
      total = r.total;
      check(r.data.length > 0, `Range ${got}-: empty part`);
      hash.update(r.data);
      got += r.data.length;
      times.push(r.ms);
    }
    check(got === total, `received ${got} bytes, Total says ${total}`);
    const all = performance.now() - t0;
    say(
      `${got} bytes in ${times.length} requests, ${all.toFixed(0)} ms (${(got / 1048576 / (all / 1000)).toFixed(1)} MiB/s); per request ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms`,
    );
    const head = await fetchRange(p, big.ref, 0, 7);
    say(`first bytes: ${JSON.stringify(new TextDecoder().decode(head.data))}`);
    saved.attachment = { ref: big.ref, total, sha256: hash.digest("hex"), firstRangeSha256 };
  });

  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(saved, null, 2));
  console.log(
    `\nSaved the device's state to ${path.relative(process.cwd(), stateFile)}. Now stop npm start (Ctrl-C), start it again, and run:\n  npm run try:mail -- --verify`,
  );
}

async function verify(): Promise<void> {
  check(existsSync(stateFile), `${stateFile} not found: run npm run try:mail first`);
  const s = JSON.parse(readFileSync(stateFile, "utf8")) as Saved;
  const p = device(s.deviceId);
  console.log(`Verifying, after a restart, what DeviceId ${s.deviceId} left in ${USER} on ${o.url}`);

  await step("FolderSync with the device's saved key: Status 1, no changes", async () => {
    const r = await folderSync(p, s.folderKey);
    say(brief(r, 6).split("\n").join("\n     "));
    check(childText(r.tree, "Count") === "0" || !child(r.tree, "Changes") || folderAdds(r).length === 0, "expected no folder changes");
  });

  // Like a phone that resets its hierarchy: the same ids come back. The device then holds the new key, which
  // is saved so that --verify can run again.
  await step("FolderSync SyncKey 0 (the device resets its folder list): the same folder ServerIds", async () => {
    const r = await folderSync(p, "0");
    s.folderKey = childText(r.tree, "SyncKey")!;
    const adds = folderAdds(r);
    for (const [role, id] of Object.entries(s.folders)) {
      const f = adds.find((a) => a.id === id);
      check(f, `${role} (${id}) missing from the folder list`);
      say(`${role}: ${id} ${f.name}`);
    }
  });

  // Mail may have arrived since (e.g. another try script): the saved key must still work, bring only what is
  // new, and never resend, change or delete what the device already holds as it left it.
  const touched = new Set([s.read.id, s.flagged.id, s.deleted.id, s.moved.from, s.moved.to]);
  const inboxNow = new Set(s.inboxIds);
  for (const [role, id] of Object.entries(s.folders).filter(([r]) => r !== "sent")) {
    await step(`Sync ${role} with the device's saved key: still valid (Status 1, not 3), nothing the device did undone`, async () => {
      const r = await p.command("Sync", syncRequest(id, s.keys[id], [el("AirSync", "WindowSize", 512)]));
      check(r.status === 200, `HTTP ${r.status}`);
      if (!r.tree) return say("HTTP 200, empty body: no changes at all");
      check(childText(coll(r), "Status") === "1", `expected Status 1 (a restart must not invalidate the key)\n${brief(r)}`);
      s.keys[id] = childText(coll(r), "SyncKey")!;
      const adds = commands(r, "Add").map((a) => ({
        id: childText(a, "ServerId")!,
        subject: childText(child(a, "ApplicationData"), "Subject"),
      }));
      const changes = commands(r, "Change").map((c) => childText(c, "ServerId")!);
      const deletes = [...commands(r, "Delete"), ...commands(r, "SoftDelete")].map((c) => childText(c, "ServerId")!);
      say(
        `Status 1; since then: ${adds.length} new (${adds
          .map((a) => `"${a.subject}"`)
          .slice(0, 5)
          .join(", ")}${adds.length > 5 ? ", …" : ""}), ${changes.length} changed, ${deletes.length} deleted`,
      );
      if (role === "inbox") {
        check(
          !adds.some((a) => inboxNow.has(a.id)),
          `resent items the device already has: ${adds.filter((a) => inboxNow.has(a.id)).map((a) => a.id)}`,
        );
        for (const d of deletes) inboxNow.delete(d);
        for (const a of adds) inboxNow.add(a.id);
      }
      const undone = [...changes, ...deletes].filter((x) => touched.has(x));
      check(undone.length === 0, `changes to the items the device changed itself: ${undone.join(", ")}`);
    });
  }

  const other = device(`${s.deviceId}b`);
  await step(
    "A fresh sync of the Inbox (another device): the same items, the read and the flag, not the deleted and the moved one",
    async () => {
      const { items } = await fullSync(other, s.folders.inbox, 100, false);
      say(
        `${items.length} messages (the device had ${s.inboxIds.length} after its delete and move, ${inboxNow.size} with what arrived since)`,
      );
      const ids = new Set(items.map((i) => i.id));
      check(ids.size === inboxNow.size && [...inboxNow].every((x) => ids.has(x)), `expected exactly the device's ${inboxNow.size} items`);
      const read = items.find((i) => i.id === s.read.id);
      check(read && childText(read.data, "Read") === "1", `"${s.read.subject}" (${s.read.id}) expected read`);
      say(`read:    ${s.read.id} Read=1`);
      const flagged = items.find((i) => i.id === s.flagged.id);
      check(
        flagged && childText(child(flagged.data, "Flag"), "Status") === "2",
        `"${s.flagged.subject}" (${s.flagged.id}) expected flagged (Flag Status 2)`,
      );
      say(`flagged: ${s.flagged.id} Flag Status=2`);
      check(!ids.has(s.deleted.id) && !ids.has(s.moved.from), "the deleted and the moved message must have left the Inbox");
    },
  );

  await step("Deleted Items holds the deleted message, Archive the moved one (its new ServerId)", async () => {
    const deleted = await fullSync(other, s.folders.deleted, 100, false);
    check(
      deleted.items.some((i) => i.subject === s.deleted.subject),
      `"${s.deleted.subject}" expected in Deleted Items`,
    );
    const archive = await fullSync(other, s.folders.archive, 100, false);
    check(
      archive.items.some((i) => i.id === s.moved.to),
      `${s.moved.to} ("${s.moved.subject}") expected in Archive`,
    );
    say(`Deleted Items: ${deleted.items.length} messages; Archive: ${archive.items.length}, including ${s.moved.to}`);
  });

  await step("The big attachment: the same bytes by Range", async () => {
    const r = await fetchRange(p, s.attachment.ref, 0, RANGE - 1);
    check(r.total === s.attachment.total, `Total ${r.total}, was ${s.attachment.total}`);
    check(sha(r.data) === s.attachment.firstRangeSha256, "the first range's bytes differ from before the restart");
    say(`Total ${r.total}, first ${r.data.length} bytes identical (${r.ms.toFixed(0)} ms)`);
  });
  s.inboxIds = [...inboxNow];
  writeFileSync(stateFile, JSON.stringify(s, null, 2));
}

if (o.flags.has("verify")) await verify();
else await setUp();
finish();
