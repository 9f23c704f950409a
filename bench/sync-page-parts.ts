// The Worker's own work on one initial-Sync page, piece by piece, in Node (issue 15 target 1): the structured clone
// of the mailbox object's SyncResult (what the RPC's receiving side deserialises), building the WBXML element tree
// (sync-response.ts) and encoding it (src/wbxml), against the clone of the same page as one byte array (what the
// floor, bench/sync-floor, receives). Items as bench/sync-profile.ts's messages give them (HTML truncated at
// 5 120, Preview 255, ~1.1 KiB a page item).
//
//   npx tsx bench/sync-page-parts.ts [items=100] [rounds=400]
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { buildSyncResponse } from "../src/eas/front/sync-response";
import type { MailItemData, SyncResult } from "../src/eas/sync-types";
import { encodeWbxml, type WbxmlElement } from "../src/wbxml";

const ITEMS = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 400);

function item(i: number): MailItemData {
  const text = `Hello, this is message ${i}.\r\n`.repeat(20);
  const html = `<html><body><p>${text}</p></body></html>`;
  return {
    to: "bench-sync@example.test",
    cc: "",
    from: `"Sender ${i % 50}" <s${i % 50}@example.test>`,
    replyTo: "",
    subject: `Bench message ${i}`,
    dateReceived: Date.UTC(2026, 11, 7) - i * 60_000,
    displayTo: "bench-sync@example.test",
    threadTopic: `Bench message ${i}`,
    importance: 1,
    read: false,
    flagged: false,
    messageClass: "IPM.Note",
    body: { type: 2, estimatedDataSize: html.length, truncated: false, data: html, preview: text.slice(0, 255) },
    nativeBodyType: 2,
    attachments: [],
    conversationId: new Uint8Array(16).map((_, k) => (i + k) & 0xff),
    conversationIndex: new Uint8Array([1, 2, 3, 4, 5]),
  };
}

const result: SyncResult = {
  status: 1,
  collections: [
    {
      collectionId: "1",
      syncKey: "{3f2a}7",
      status: 1,
      responses: { adds: [], changes: [], deletes: [], fetches: [] },
      commands: Array.from({ length: ITEMS }, (_, i) => ({ op: "Add" as const, serverId: `1:${i + 1}`, item: { mail: item(i) } })),
      moreAvailable: true,
    },
  ],
  collectionIds: ["1"],
};

const time = (fn: () => unknown) => {
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
};

const wire = serialize(result);
const tree = (buildSyncResponse(result, "16.1") as { body: WbxmlElement }).body;
const page = encodeWbxml(tree);
const pageWire = serialize(page);
const rows: [string, number][] = [
  ["SyncResult: serialise (the object's side of the RPC)", time(() => serialize(result))],
  ["SyncResult: deserialise (the Worker's side of the RPC)", time(() => deserialize(wire))],
  ["page bytes: deserialise (the floor's Worker side)", time(() => deserialize(pageWire))],
  ["build the element tree (buildSyncResponse)", time(() => buildSyncResponse(result, "16.1"))],
  ["encode the tree (encodeWbxml)", time(() => encodeWbxml(tree))],
  ["build + encode", time(() => encodeWbxml((buildSyncResponse(result, "16.1") as { body: WbxmlElement }).body))],
];
console.log(
  `${ITEMS} items, page ${(page.length / 1024).toFixed(0)} KiB, SyncResult on the wire ${(wire.length / 1024).toFixed(0)} KiB; median of ${ROUNDS}, Node ${process.version}`,
);
console.log(
  `page sha256 ${createHash("sha256").update(page).digest("hex").slice(0, 16)} (the same bytes before and after a change to the builder)`,
);
for (const [name, ms] of rows) console.log(`${ms.toFixed(3).padStart(8)} ms  ${name}`);
