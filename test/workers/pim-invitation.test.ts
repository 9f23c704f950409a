// Meeting invitations: iMIP into the calendar, MeetingResponse once per request with one queued reply.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { answerMeeting, applyItip } from "../../src/formats/invitation";
import { eventToEas } from "../../src/eas/pim/calendar";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { FolderType } from "../../src/store/types";
import { child, childText, childrenNamed, el } from "../../src/wbxml/index";
import { TestPhone } from "./helpers/phone";
import { sinkMessages } from "./helpers/smtp-sink";

const ME = "invitee@example.test";
const OLGA = "olga@organizer.example";
const PAUL = "paul@organizer.example";

function itip(method: string, opts: { sequence?: number; stamp?: string; partstat?: string; extra?: string[] } = {}) {
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Organizer//EN",
    `METHOD:${method}`,
    "BEGIN:VEVENT",
    "UID:meeting-42@organizer.example",
    `SEQUENCE:${opts.sequence ?? 0}`,
    `DTSTAMP:${opts.stamp ?? "20261120T100000Z"}`,
    "DTSTART;TZID=Europe/Paris:20261204T150000",
    "DTEND;TZID=Europe/Paris:20261204T160000",
    "SUMMARY:Budget review",
    "ORGANIZER;CN=Olga:mailto:olga@organizer.example",
    `ATTENDEE;CN=Me;PARTSTAT=${opts.partstat ?? "NEEDS-ACTION"};RSVP=TRUE:mailto:${ME}`,
    "ATTENDEE;CN=Paul;PARTSTAT=ACCEPTED:mailto:paul@organizer.example",
    ...(opts.extra ?? []),
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

function imip(ics: string, method: string, subject = "Invitation: Budget review") {
  return [
    "From: Olga <olga@organizer.example>",
    `To: ${ME}`,
    `Subject: ${subject}`,
    "Date: Fri, 20 Nov 2026 10:00:00 +0000",
    `Message-ID: <${crypto.randomUUID()}@organizer.example>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "You are invited.",
    "--b",
    `Content-Type: text/calendar; charset=utf-8; method=${method}`,
    "",
    ics,
    "--b--",
    "",
  ].join("\r\n");
}

describe("iTIP on the stored calendar (pure)", () => {
  it("REQUEST files a received meeting shown tentative; the same message again changes nothing; a newer one keeps the answer", () => {
    const filed = applyItip(itip("REQUEST"), undefined, ME, OLGA)!;
    expect(filed).not.toContain("METHOD");
    expect(filed).toContain("X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE");
    const eas = eventToEas(filed, { version: 14.1, defaultZone: "Europe/Paris", userEmail: ME });
    expect(eas.find((e) => e.name === "MeetingStatus")?.children).toEqual(["3"]); // received meeting
    expect(eas.find((e) => e.name === "BusyStatus")?.children).toEqual(["1"]); // tentative
    expect(applyItip(itip("REQUEST"), filed, ME, OLGA)).toBeNull();
    const accepted = answerMeeting(filed, ME, 1).stored;
    const update = applyItip(itip("REQUEST", { stamp: "20261121T100000Z" }), accepted, ME, OLGA)!;
    expect(update).toContain("PARTSTAT=ACCEPTED");
    expect(update).toContain("X-MICROSOFT-CDO-BUSYSTATUS:BUSY");
    expect(applyItip(itip("REQUEST", { sequence: -1, stamp: "20261122T100000Z" }), accepted, ME, OLGA)).toBeNull(); // older
  });

  it("CANCEL cancels (MeetingStatus 7); REPLY updates the attendee; unknown events are ignored", () => {
    const filed = applyItip(itip("REQUEST"), undefined, ME, OLGA)!;
    const cancelled = applyItip(itip("CANCEL", { sequence: 1 }), filed, ME, OLGA)!;
    expect(cancelled).toContain("STATUS:CANCELLED");
    expect(
      eventToEas(cancelled, { version: 14.1, defaultZone: "UTC", userEmail: ME }).find((e) => e.name === "MeetingStatus")?.children,
    ).toEqual(["7"]);
    expect(applyItip(itip("CANCEL"), undefined, ME, OLGA)).toBeNull();
    const reply = applyItip(itip("REPLY").replace("PARTSTAT=ACCEPTED:mailto:paul", "PARTSTAT=DECLINED:mailto:paul"), filed, ME, PAUL)!;
    expect(reply).toContain("PARTSTAT=DECLINED:mailto:paul@organizer.example");
  });

  it("answering builds an iTIP REPLY for the organizer with the owner's PARTSTAT only", () => {
    const filed = applyItip(itip("REQUEST"), undefined, ME, OLGA)!;
    const { stored, reply } = answerMeeting(filed, ME, 2);
    expect(stored).toContain(`PARTSTAT=TENTATIVE:mailto:${ME}`);
    expect(reply!.organizer).toBe("olga@organizer.example");
    expect(reply!.ics).toContain("METHOD:REPLY");
    expect(reply!.ics).toContain("UID:meeting-42@organizer.example");
    expect(reply!.ics).not.toContain("paul@");
  });
});

describe("16.1 new time proposals", () => {
  it("a tentative answer with proposed times sends an iTIP COUNTER with them; the calendar keeps the organizer's times", () => {
    const filed = applyItip(itip("REQUEST"), undefined, ME, OLGA)!;
    const { stored, reply } = answerMeeting(filed, ME, 2, undefined, { start: Date.UTC(2026, 11, 4, 16), end: Date.UTC(2026, 11, 4, 17) });
    expect(reply!.ics).toContain("METHOD:COUNTER");
    expect(reply!.ics).toContain("DTSTART:20261204T160000Z");
    expect(reply!.ics).toContain("DTEND:20261204T170000Z");
    expect(stored).toContain("DTSTART;TZID=Europe/Paris:20261204T150000");
    expect(answerMeeting(filed, ME, 1, undefined, { start: 0, end: 1 }).reply!.ics).toContain("METHOD:REPLY"); // accepting proposes nothing
  });
});

describe("through the mailbox and the MeetingResponse command", () => {
  it("an iMIP invitation delivered to the Inbox appears in the calendar; accepting twice queues one reply (anchors §3 row 21)", async () => {
    await createAccount(env.DB, ME, "invitee-pw");
    const stub = env.MAILBOX.getByName(ME);
    const delivered = await stub.deliver(new TextEncoder().encode(imip(itip("REQUEST"), "REQUEST")));
    const calendarId = await runInDurableObject(stub, async (mailbox: Mailbox) => {
      const cal = mailbox.store.folderByType(FolderType.Calendar)!;
      const item = await mailbox.pim.getByUid(cal.id, "meeting-42@organizer.example");
      expect(item?.data).toContain("X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE");
      return cal.id;
    });

    const phone = new TestPhone(ME, "invitee-pw", "MEETING1", "14.1");
    const request = el(
      "MeetingResponse",
      "MeetingResponse",
      el(
        "MeetingResponse",
        "Request",
        el("MeetingResponse", "UserResponse", 1),
        el("MeetingResponse", "CollectionId", delivered.folderId),
        el("MeetingResponse", "RequestId", `${delivered.folderId}:${delivered.itemId}`),
      ),
    );
    for (let i = 0; i < 2; i++) {
      const r = await phone.send("MeetingResponse", request);
      expect(r.status).toBe(200);
      const result = child(r.body!, "Result")!;
      expect(childText(result, "Status")).toBe("1");
      expect(childText(result, "CalendarId")).toMatch(new RegExp(`^${calendarId}:`));
    }
    // The reply went to the durable outbox once (the retried request sent none) and reaches the relay.
    expect(await stub.queuedMeetingReplies()).toHaveLength(0);
    await runDurableObjectAlarm(stub);
    const relayed = (await sinkMessages()).filter((m) => m.to.includes("olga@organizer.example"));
    expect(relayed).toHaveLength(1);
    expect(relayed[0].from).toBe(ME);
    expect(relayed[0].text).toContain("Subject: =?utf-8?B?"); // "Accepted: Budget review", encoded by mimetext
    expect(relayed[0].text).toContain("text/calendar; method=REPLY");

    // Unknown request id and a bad UserResponse: Status 2.
    const bad = await phone.send(
      "MeetingResponse",
      el(
        "MeetingResponse",
        "MeetingResponse",
        el(
          "MeetingResponse",
          "Request",
          el("MeetingResponse", "UserResponse", 1),
          el("MeetingResponse", "CollectionId", delivered.folderId),
          el("MeetingResponse", "RequestId", `${delivered.folderId}:999999`),
        ),
        el(
          "MeetingResponse",
          "Request",
          el("MeetingResponse", "UserResponse", 7),
          el("MeetingResponse", "CollectionId", delivered.folderId),
          el("MeetingResponse", "RequestId", `${delivered.folderId}:${delivered.itemId}`),
        ),
      ),
    );
    expect(childrenNamed(bad.body!, "Result").map((x) => childText(x, "Status"))).toEqual(["2", "2"]);

    await runInDurableObject(stub, async (mailbox: Mailbox) => {
      const item = await mailbox.pim.getByUid(calendarId, "meeting-42@organizer.example");
      expect(item?.data).toContain(`PARTSTAT=ACCEPTED:mailto:${ME}`);
    });
  });
});
