// The Sync page rendered in the mailbox object (src/eas/sync-render.ts: Responses and Commands as WBXML fragments)
// and spliced by the front door (eas/front/sync-response.ts, wbxml encodeWbxml) against the same elements built as
// one tree in the Worker and encoded at once, as before issue 15's change (proven equal to that older code when it
// landed). Compared on every protocol version over a varied corpus — mail with and without bodies, MIME bytes, body
// parts, attachments, flags, drafts, invitations, calendar/contact/task/note items, changes, deletes, the device's
// own commands' responses with fetched items — they must give the same bytes, and the same XML for the logs: the
// fragments' code-page contract (entry and exit pages) and the RPC's clone lose nothing.
import { describe, expect, it } from "vitest";
import { buildSyncResponse } from "../../src/eas/front/sync-response";
import { redactTree } from "../../src/eas/front/redact";
import { eventToEas } from "../../src/eas/pim/calendar";
import { contactToEas } from "../../src/eas/pim/contacts";
import { meetingRequestToEas } from "../../src/eas/pim/meeting-request";
import { noteToEas } from "../../src/eas/pim/notes";
import { taskToEas } from "../../src/eas/pim/tasks";
import { commandElements, renderSyncResult, responseElements } from "../../src/eas/sync-render";
import { rng } from "./chaos/rng";
import type { MailItemData, ServerCommand, SyncCollectionOutcome, SyncOutcome, SyncResponses, SyncResult } from "../../src/eas/sync-types";
import { decodeWbxml, el, encodeWbxml, isFragment, toXml, type WbxmlElement } from "../../src/wbxml/index";

// ---- the reference: the same elements (sync-render.ts's builders) as one tree, encoded at once ----

function refCollection(c: SyncCollectionOutcome, pv: string): WbxmlElement {
  const r = c.responses;
  const hasResponses = r.adds.length + r.changes.length + r.deletes.length + r.fetches.length > 0;
  return el(
    "AirSync",
    "Collection",
    el("AirSync", "SyncKey", c.syncKey),
    el("AirSync", "CollectionId", c.collectionId),
    el("AirSync", "Status", c.status),
    hasResponses && el("AirSync", "Responses", ...responseElements(r, pv)),
    c.commands.length > 0 && el("AirSync", "Commands", ...commandElements(c.commands, pv)),
    c.moreAvailable && el("AirSync", "MoreAvailable"),
  );
}

/** The whole tree, as the Worker built it before the items were rendered in the object: null for the empty response. */
function reference(o: SyncOutcome, pv: string): WbxmlElement | null {
  if (o.status !== 1) return el("AirSync", "Sync", el("AirSync", "Status", o.status));
  if (o.collections.length === 0) return null;
  return el("AirSync", "Sync", el("AirSync", "Collections", ...o.collections.map((c) => refCollection(c, pv))));
}

/** The new path: rendered as the object does, the result cloned as the RPC does, the shell built as the Worker does. */
function current(o: SyncOutcome, pv: string): WbxmlElement | null {
  const rendered: SyncResult = structuredClone(renderSyncResult(o, pv));
  const res = buildSyncResponse(rendered);
  if (res.kind === "empty") return null;
  if (res.kind !== "wbxml") throw new Error(`kind ${res.kind}`);
  return res.body;
}

// ---- the corpus ----

const ICS_EVENT = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//test//EN",
  "BEGIN:VEVENT",
  "UID:ev-1@example.test",
  "DTSTAMP:20261201T080000Z",
  "DTSTART;TZID=Europe/Paris:20261208T100000",
  "DTEND;TZID=Europe/Paris:20261208T110000",
  "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5",
  "SUMMARY:Revue — équipe",
  "LOCATION:Salle 3",
  "DESCRIPTION:Ordre du jour\\nPoint 1",
  "ORGANIZER;CN=Ana:mailto:ana@example.test",
  "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.test",
  "CATEGORIES:Work,Review",
  "BEGIN:VALARM",
  "ACTION:DISPLAY",
  "TRIGGER:-PT15M",
  "END:VALARM",
  "END:VEVENT",
  "END:VCALENDAR",
  "",
].join("\r\n");

const ICS_INVITE = ICS_EVENT.replace("VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST");

const VCF = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "UID:ct-1",
  "FN:Zoë Example",
  "N:Example;Zoë;;;",
  "EMAIL;TYPE=INTERNET:zoe@example.test",
  "TEL;TYPE=CELL:+33 6 12 34 56 78",
  "ORG:Example SA",
  "TITLE:Chief",
  "BDAY:1990-04-01",
  "NOTE:Met at the fair",
  "ADR;TYPE=WORK:;;1 rue X;Paris;;75001;France",
  "END:VCARD",
  "",
].join("\r\n");

const ICS_TASK = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//test//EN",
  "BEGIN:VTODO",
  "UID:task-1",
  "DTSTAMP:20261201T080000Z",
  "SUMMARY:File the report",
  "DUE;VALUE=DATE:20261215",
  "PRIORITY:1",
  "DESCRIPTION:Before Friday",
  "STATUS:NEEDS-ACTION",
  "END:VTODO",
  "END:VCALENDAR",
  "",
].join("\r\n");

const ICS_NOTE = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//test//EN",
  "BEGIN:VJOURNAL",
  "UID:note-1",
  "DTSTAMP:20261201T080000Z",
  "SUMMARY:Shopping",
  "DESCRIPTION:Milk\\nBread",
  "END:VJOURNAL",
  "END:VCALENDAR",
  "",
].join("\r\n");

const VERSIONS = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"];

function mail(rand: () => number, i: number, pv: string): MailItemData {
  const pick = (p: number) => rand() < p;
  const text = `Line ${i} — ünïcödé ✓ 𝄞\r\n`.repeat(1 + Math.floor(rand() * 20));
  const bodyType = [1, 2, 4][Math.floor(rand() * 3)]!;
  const mime = pick(0.5) ? new Uint8Array([0x46, 0x72, 0x6f, 0x6d, 0x3a, 0x20, 0xff, 0xfe, 0x0d, 0x0a]) : `From: a\r\n\r\n${text}`;
  const data = bodyType === 4 ? mime : bodyType === 2 ? `<p>${text}</p>` : text;
  const invite = pick(0.15) ? meetingRequestToEas(ICS_INVITE, { version: Number.parseFloat(pv), defaultZone: "Europe/Paris" }) : undefined;
  return {
    to: pick(0.8) ? `"To ${i}" <to${i}@example.test>, other@example.test` : "",
    cc: pick(0.4) ? "cc@example.test" : "",
    from: pick(0.9) ? `"Sender ${i}" <s${i}@example.test>` : "",
    replyTo: pick(0.2) ? "reply@example.test" : "",
    subject: pick(0.9) ? `Subject ${i} — 件名` : "",
    dateReceived: Date.UTC(2026, 11, 7) - i * 61_001,
    displayTo: pick(0.7) ? `To ${i}` : "",
    threadTopic: pick(0.6) ? `Subject ${i}` : "",
    importance: Math.floor(rand() * 3),
    read: pick(0.5),
    flagged: pick(0.3),
    messageClass: invite ? "IPM.Schedule.Meeting.Request" : pick(0.1) ? "IPM.Note.SMIME" : "IPM.Note",
    ...(pick(0.2) ? { contentClass: "urn:content-classes:calendarmessage" } : {}),
    ...(invite ? { meetingRequest: invite } : {}),
    ...(pick(0.3) ? { lastVerb: 1 + Math.floor(rand() * 3) } : {}),
    ...(pick(0.85)
      ? {
          body: {
            type: bodyType,
            estimatedDataSize: 100 + Math.floor(rand() * 10_000),
            truncated: pick(0.4),
            ...(pick(0.9) ? { data } : {}),
            ...(pick(0.5) ? { preview: text.slice(0, 255) } : {}),
          },
        }
      : {}),
    nativeBodyType: [1, 2, 3][Math.floor(rand() * 3)]!,
    attachments: Array.from({ length: pick(0.4) ? 1 + Math.floor(rand() * 3) : 0 }, (_, k) => ({
      fileReference: `5:${i}:${k}`,
      displayName: `file ${k} — é.pdf`,
      method: pick(0.8) ? (1 as const) : (5 as const),
      estimatedDataSize: Math.floor(rand() * 1e6),
      ...(pick(0.3) ? { contentId: `cid${k}@x` } : {}),
      isInline: pick(0.3),
    })),
    ...(pick(0.2) ? { draft: { bcc: pick(0.5) ? "b1@example.test, ".repeat(80).slice(0, -2) : "" } } : {}),
    ...(pick(0.7) ? { conversationId: new Uint8Array(16).map((_, k) => (i * 7 + k) & 0xff) } : {}),
    ...(pick(0.7) ? { conversationIndex: new Uint8Array([0, 1, 2, 3, 4]) } : {}),
    ...(pick(0.3)
      ? {
          bodyPart: {
            status: pick(0.8) ? 1 : 176,
            type: 2,
            estimatedDataSize: 4000,
            truncated: pick(0.5),
            ...(pick(0.8) ? { data: `<div>${text}</div>` } : {}),
            ...(pick(0.5) ? { preview: "part preview" } : {}),
          },
        }
      : {}),
  };
}

function pimItems(pv: string): { calendar: WbxmlElement[]; contact: WbxmlElement[]; task: WbxmlElement[]; note: WbxmlElement[] } {
  const version = Number.parseFloat(pv);
  return {
    calendar: eventToEas(ICS_EVENT, { version, defaultZone: "Europe/Paris", userEmail: "bob@example.test", truncationSize: 20 }),
    contact: contactToEas(VCF, { version }),
    task: taskToEas(ICS_TASK, { version, defaultZone: "Europe/Paris" }),
    note: noteToEas(ICS_NOTE, { version }),
  };
}

/** One page of a seed: mail Adds and Changes, PIM items, deletes, responses, several collections. */
function outcome(seed: number, pv: string): SyncOutcome {
  const rand = rng(seed);
  const pim = pimItems(pv);
  const mails = Array.from({ length: 5 + Math.floor(rand() * 30) }, (_, i) => mail(rand, seed * 100 + i, pv));
  const commands: ServerCommand[] = mails.map((m, i): ServerCommand => {
    const r = rand();
    if (r < 0.6) return { op: "Add", serverId: `1:${i}`, item: { mail: m } };
    if (r < 0.75)
      return {
        op: "Change",
        serverId: `1:${i}`,
        change: { mail: { read: m.read, flagged: m.flagged, ...(m.lastVerb ? { lastVerb: m.lastVerb } : {}) } },
      };
    if (r < 0.82) return { op: "Change", serverId: `1:${i}`, change: { mail: { read: m.read, flagged: m.flagged, item: m } } };
    if (r < 0.92) return { op: "Delete", serverId: `1:${i}` };
    return { op: "SoftDelete", serverId: `1:${i}` };
  });
  const pimCommands: ServerCommand[] = [
    { op: "Add", serverId: "3:1", item: { data: pim.calendar } },
    { op: "Add", serverId: "3:2", item: { data: pim.contact } },
    { op: "Add", serverId: "3:3", item: { data: pim.task } },
    { op: "Change", serverId: "3:4", change: { data: pim.note } },
    { op: "Delete", serverId: "3:5" },
  ];
  const responses: SyncResponses = {
    adds: [
      {
        clientId: "c1",
        serverId: "1:900",
        status: 1,
        attachments: [{ clientId: "a1", fileReference: "5:900:0" }],
        conversationId: new Uint8Array([9, 8, 7]),
      },
      { clientId: "c2", status: 6 },
    ],
    changes: [{ serverId: "1:3", status: 8 }],
    deletes: [{ serverId: "1:4", status: 8 }],
    fetches: [
      { serverId: "1:1", status: 1, item: { mail: mails[0]! } },
      { serverId: "3:1", status: 1, item: { data: pim.calendar } },
      { serverId: "1:77", status: 8 },
    ],
  };
  const none: SyncResponses = { adds: [], changes: [], deletes: [], fetches: [] };
  return {
    status: 1,
    collections: [
      {
        collectionId: "1",
        syncKey: `{s${seed}}2`,
        status: 1,
        responses: rand() < 0.5 ? responses : none,
        commands,
        moreAvailable: rand() < 0.5,
      },
      { collectionId: "3", syncKey: `{p${seed}}5`, status: 1, responses: none, commands: pimCommands, moreAvailable: false },
      { collectionId: "9", syncKey: "0", status: 3, responses: none, commands: [], moreAvailable: false },
      { collectionId: "4", syncKey: `{r${seed}}3`, status: 1, responses, commands: [], moreAvailable: false },
    ],
    collectionIds: ["1", "3", "9", "4"],
    waitSeconds: 480,
  };
}

describe("Sync items rendered in the mailbox object, spliced by the front door", () => {
  it("the same bytes as the whole tree built and encoded at once, every protocol version, 40 seeds", () => {
    let pages = 0;
    for (const pv of VERSIONS)
      for (let seed = 1; seed <= 40; seed++) {
        const o = outcome(seed, pv);
        const ref = reference(o, pv)!;
        const now = current(o, pv)!;
        const want = encodeWbxml(ref);
        const got = encodeWbxml(now);
        if (Buffer.compare(Buffer.from(want), Buffer.from(got)) !== 0) throw new Error(`seed ${seed}, ${pv}: the bytes differ`);
        // What the logs and traces read: the same XML, redacted the same.
        expect(toXml(now, { opaque: "base64" }), `seed ${seed} ${pv}`).toBe(toXml(ref, { opaque: "base64" }));
        expect(toXml(redactTree(now).tree)).toBe(toXml(redactTree(ref).tree));
        expect(decodeWbxml(got)).toEqual(ref);
        pages++;
      }
    expect(pages).toBe(VERSIONS.length * 40);
  }, 120_000);

  it("the page's items cross the RPC as fragments, not as element trees", () => {
    const r = renderSyncResult(outcome(7, "16.1"), "16.1");
    const [inbox, pim, failed, answers] = r.collections;
    expect(isFragment(inbox!.commands!)).toBe(true);
    expect(inbox!.commands!.wbxml).toBeInstanceOf(Uint8Array);
    expect(isFragment(pim!.commands!)).toBe(true);
    expect(failed).toEqual({ collectionId: "9", syncKey: "0", status: 3, moreAvailable: false });
    expect(answers!.commands).toBeUndefined();
    expect(isFragment(answers!.responses!)).toBe(true);
    // Nothing but the shell's strings, numbers and the fragments' bytes: no element anywhere in the result.
    const walk = (v: unknown): void => {
      if (v instanceof Uint8Array || v === null || typeof v !== "object") return;
      expect(v).not.toHaveProperty("children");
      for (const x of Object.values(v)) walk(x);
    };
    walk(r);
    expect(r.collectionIds).toEqual(["1", "3", "9", "4"]);
    expect(r.waitSeconds).toBe(480);
  });

  it("the empty response and a failed request: as before", () => {
    for (const pv of VERSIONS) {
      const empty: SyncOutcome = { status: 1, collections: [], collectionIds: ["1"] };
      expect(current(empty, pv)).toBeNull();
      expect(reference(empty, pv)).toBeNull();
      const failed: SyncOutcome = { status: 4, collections: [], collectionIds: [] };
      expect(encodeWbxml(current(failed, pv)!)).toEqual(encodeWbxml(reference(failed, pv)!));
    }
  });
});
