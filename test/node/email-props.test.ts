// A message's properties as a Sync Add carries them (src/eas/email-props.ts, sync-render.ts): which
// elements each protocol version gets, in which order, and that empty optional envelope fields are left out.
// The builder appends in place (issue 15: ~25 elements per message, up to 512 messages a page, in the Worker);
// these pin what it builds, and the whole Sync response validates against the schema.
import { describe, expect, it } from "vitest";
import { mailProperties } from "../../src/eas/email-props";
import { buildSyncResponse } from "../../src/eas/front/sync-response";
import { renderSyncResult } from "../../src/eas/sync-render";
import type { MailItemData, SyncOutcome } from "../../src/eas/sync-types";
import { child, childText, el, encodeWbxml, expandFragments, toXml, type WbxmlElement } from "../../src/wbxml/index";
import { assertValid, hasSchema } from "./validate";

function item(over: Partial<MailItemData> = {}): MailItemData {
  return {
    to: "ana@example.test",
    cc: "bob@example.test",
    from: "carol@example.test",
    replyTo: "replies@example.test",
    subject: "Budget",
    dateReceived: Date.UTC(2026, 11, 7, 9, 30, 15, 250),
    displayTo: "Ana",
    threadTopic: "Budget",
    importance: 2,
    read: true,
    flagged: true,
    messageClass: "IPM.Schedule.Meeting.Request",
    meetingRequest: el("Email", "MeetingRequest", el("Email", "AllDayEvent", "0")),
    lastVerb: 1,
    body: { type: 2, estimatedDataSize: 20, truncated: true, data: "<p>hi</p>", preview: "hi" },
    bodyPart: { status: 1, type: 2, estimatedDataSize: 9, truncated: false, data: "<p>hi</p>" },
    nativeBodyType: 2,
    attachments: [{ fileReference: "1:5:0", displayName: "a.pdf", method: 1, estimatedDataSize: 1234, contentId: "cid1", isInline: true }],
    draft: { bcc: "dan@example.test" },
    conversationId: new Uint8Array([1, 2, 3]),
    conversationIndex: new Uint8Array([4, 5]),
    ...over,
  };
}

const names = (xs: WbxmlElement[]) => xs.map((e) => `${e.ns}:${e.name}`);

const ENVELOPE = [
  "Email:To",
  "Email:Cc",
  "Email:From",
  "Email:Subject",
  "Email:ReplyTo",
  "Email:DateReceived",
  "Email:DisplayTo",
  "Email:ThreadTopic",
  "Email:Importance",
  "Email:Read",
];

describe("mailProperties", () => {
  // Per version, the elements [MS-ASEMAIL] and [MS-ASAIRS] give each one:
  // BodyPart: not 12.1 or 14.0, from 14.1 (MS-ASAIRS_R1061 MS-ASAIRS_R1062 MS-ASAIRS_R1063 MS-ASAIRS_R1064 MS-ASAIRS_R1000957);
  // LastVerbExecuted: not 12.1, from 14.0 (MS-ASEMAIL_R1288 MS-ASEMAIL_R1289 MS-ASEMAIL_R1290 MS-ASEMAIL_R1291 MS-ASEMAIL_R12920);
  // ConversationId / ConversationIndex in 14.1, 16.0, 16.1 (MS-ASEMAIL_R1182 MS-ASEMAIL_R1183 MS-ASEMAIL_R11830
  // MS-ASEMAIL_R1188 MS-ASEMAIL_R1189 MS-ASEMAIL_R11890); IsDraft and Bcc not before 16.0 (MS-ASEMAIL_R1280
  // MS-ASEMAIL_R1281 MS-ASEMAIL_R1282 MS-ASEMAIL_R1283 MS-ASEMAIL_R12840 MS-ASEMAIL_R1132 MS-ASEMAIL_R1133
  // MS-ASEMAIL_R1134 MS-ASEMAIL_R11350); InternetCPID in every one (MS-ASEMAIL_R496).
  it("every field, by version: BodyPart from 14.1, LastVerbExecuted and the conversation from 14.0, drafts from 16.0", () => {
    const tail = ["Email:InternetCPID", "Email:Flag", "Email:ContentClass", "AirSyncBase:NativeBodyType"];
    const upTo = (extra: string[], part = false) => [
      ...ENVELOPE,
      "AirSyncBase:Body",
      ...(part ? ["AirSyncBase:BodyPart"] : []),
      "AirSyncBase:Attachments",
      "Email:MessageClass",
      "Email:MeetingRequest",
      ...tail,
      ...extra,
    ];
    const v14 = ["Email2:LastVerbExecuted", "Email2:ConversationId", "Email2:ConversationIndex"];
    expect(names(mailProperties(item(), "12.1"))).toEqual(upTo([]));
    expect(names(mailProperties(item(), "14.0"))).toEqual(upTo(v14));
    expect(names(mailProperties(item(), "14.1"))).toEqual(upTo(v14, true));
    for (const pv of ["16.0", "16.1"])
      expect(names(mailProperties(item(), pv))).toEqual(upTo([...v14, "Email2:Bcc", "Email2:IsDraft"], true));
  });

  it("empty optional envelope fields and absent optional parts are left out; Subject, Importance and Read never are", () => {
    const bare = item({
      to: "",
      cc: "",
      from: "",
      replyTo: "",
      subject: "",
      displayTo: "",
      threadTopic: "",
      meetingRequest: undefined,
      lastVerb: undefined,
      body: undefined,
      bodyPart: undefined,
      attachments: [],
      draft: { bcc: "" },
      conversationId: undefined,
      conversationIndex: undefined,
      read: false,
      flagged: false,
      contentClass: undefined,
    });
    const props = mailProperties(bare, "16.1");
    expect(names(props)).toEqual([
      "Email:Subject",
      "Email:DateReceived",
      "Email:Importance",
      "Email:Read",
      "Email:MessageClass",
      "Email:InternetCPID",
      "Email:Flag",
      "Email:ContentClass",
      "AirSyncBase:NativeBodyType",
      "Email2:IsDraft",
    ]);
    const at = (name: string) => props.find((e) => e.name === name)!;
    expect(at("Subject").children).toEqual([""]);
    expect(at("DateReceived").children).toEqual(["2026-12-07T09:30:15.000Z"]);
    expect(at("Flag").children).toEqual([]);
    expect(at("ContentClass").children).toEqual(["urn:content-classes:message"]);
    expect(at("Read").children).toEqual(["0"]);
  });

  it("2.5: the envelope, the body and attachments in the Email page, nothing 2.5 does not have", () => {
    const props = mailProperties(item({ cc: "" }), "2.5");
    const got = names(props);
    expect(got.slice(0, 9)).toEqual(ENVELOPE.filter((n) => n !== "Email:Cc"));
    expect(got.every((n) => n.startsWith("Email:"))).toBe(true);
    expect(got).toContain("Email:InternetCPID");
    expect(got).not.toContain("Email:Flag");
  });
});

describe("a Sync page (renderSyncResult in the object, buildSyncResponse in the Worker)", () => {
  const result = (): SyncOutcome => ({
    status: 1,
    collections: [
      {
        collectionId: "1",
        syncKey: "{k}2",
        status: 1,
        responses: { adds: [], changes: [], deletes: [], fetches: [] },
        commands: [
          { op: "Add", serverId: "1:1", item: { mail: item({ meetingRequest: undefined, messageClass: "IPM.Note" }) } },
          { op: "Add", serverId: "1:2", item: { mail: item({ cc: "", meetingRequest: undefined, messageClass: "IPM.Note" }) } },
        ],
        moreAvailable: true,
      },
    ],
    collectionIds: ["1"],
  });

  it("an Add's ApplicationData holds exactly the message's properties, and each version's page validates", () => {
    for (const pv of ["12.1", "14.0", "14.1", "16.1"]) {
      const res = buildSyncResponse(renderSyncResult(result(), pv));
      if (res.kind !== "wbxml") throw new Error(`kind ${res.kind}`);
      const body = expandFragments(res.body);
      const adds = child(child(child(body, "Collections"), "Collection"), "Commands")!.children as WbxmlElement[];
      expect(adds.map((a) => childText(a, "ServerId"))).toEqual(["1:1", "1:2"]);
      const cmds = result().collections[0].commands;
      adds.forEach((a, i) => {
        const cmd = cmds[i];
        if (cmd.op !== "Add" || !("mail" in cmd.item)) throw new Error("not a mail Add");
        expect(child(a, "ApplicationData")!.children).toEqual(mailProperties(cmd.item.mail, pv));
      });
      expect(encodeWbxml(res.body).length).toBeGreaterThan(0);
      if (hasSchema("Sync")) assertValid("Sync", toXml(body, { opaque: "text" }));
    }
  }, 60_000);
});
