// The work on one initial-Sync page outside the sync engine, piece by piece, in Node (issue 15 target 1). In the
// mailbox object: rendering the engine's typed page (SyncOutcome) to WBXML fragments (src/eas/sync-render.ts) and
// the RPC's serialise of the result; in the Worker: its deserialise, building the shell (sync-response.ts) and
// encoding it with the fragments spliced (src/wbxml). Beside them, the structured clone of the typed page itself
// (what crossed the RPC before the items were rendered in the object) and of the page as one byte array (what the
// floor, bench/sync-floor, receives). Items as bench/sync-profile.ts's messages give them (HTML truncated at
// 5 120, Preview 255, ~1.1 KiB a page item).
//
//   npx tsx bench/sync-page-parts.ts [items=100] [rounds=400]
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { buildSyncResponse } from "../src/eas/front/sync-response";
import { renderSyncResult } from "../src/eas/sync-render";
import type { MailItemData, SyncOutcome, SyncResult } from "../src/eas/sync-types";
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

const outcome: SyncOutcome = {
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

const result: SyncResult = renderSyncResult(outcome, "16.1");
const typedWire = serialize(outcome);
const wire = serialize(result);
const shell = (r: SyncResult) => (buildSyncResponse(r) as { body: WbxmlElement }).body;
const page = encodeWbxml(shell(result));
const pageWire = serialize(page);
const rows: [string, number][] = [
  ["typed page (SyncOutcome): serialise (the object's side, before)", time(() => serialize(outcome))],
  ["typed page (SyncOutcome): deserialise (the Worker's side, before)", time(() => deserialize(typedWire))],
  ["object: render to fragments (renderSyncResult)", time(() => renderSyncResult(outcome, "16.1"))],
  ["object: serialise the rendered SyncResult", time(() => serialize(result))],
  ["Worker: deserialise the rendered SyncResult", time(() => deserialize(wire))],
  ["Worker: build the shell + encode, fragments spliced", time(() => encodeWbxml(shell(result)))],
  ["page bytes: deserialise (the floor's Worker side)", time(() => deserialize(pageWire))],
];
console.log(
  `${ITEMS} items, page ${(page.length / 1024).toFixed(0)} KiB, typed page on the wire ${(typedWire.length / 1024).toFixed(0)} KiB, rendered ${(wire.length / 1024).toFixed(0)} KiB; median of ${ROUNDS}, Node ${process.version}`,
);
console.log(
  `page sha256 ${createHash("sha256").update(page).digest("hex").slice(0, 16)} (the same bytes before and after a change to the builder)`,
);
for (const [name, ms] of rows) console.log(`${ms.toFixed(3).padStart(8)} ms  ${name}`);
