// Sending mail end to end: a phone posts SendMail / SmartReply / SmartForward over HTTP to the Worker under
// `wrangler dev`; outside mail must arrive at a real SMTP server on loopback (test/smtp-sink.ts, started by
// the global setup). Every WBXML answer is validated against the conformance kit by the Phone client;
// successes must be empty 200s (MS-ASCMD_R463, R568, R605).
import PostalMime from "postal-mime";
import { describe, expect, inject, it } from "vitest";
import { el, isElement, type WbxmlElement } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone } from "./phone";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const sinkUrl = inject("smtpSinkUrl");
const run = Date.now().toString(36);

interface Arrived {
  from: string;
  to: string[];
  raw: string;
}

async function arrivedFor(rcpt: string, timeoutMs = 15_000): Promise<Arrived & { text: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await (await fetch(`${sinkUrl}/messages`)).json()) as Arrived[];
    const m = list.find((x) => x.to.includes(rcpt));
    if (m) return { ...m, text: Buffer.from(m.raw, "base64").toString("utf8") };
    if (Date.now() > deadline) throw new Error(`nothing arrived for ${rcpt}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function account(name: string): Promise<{ address: string; password: string }> {
  const address = `${name}-${run}@example.test`;
  await insertAccount(persistTo, address, "send e2e password");
  return { address, password: "send e2e password" };
}

function phone(a: { address: string; password: string }, protocolVersion = "14.1"): Phone {
  return new Phone({ baseUrl: url, user: a.address, password: a.password, deviceId: `send${run}`, deviceType: "iPhone", protocolVersion });
}

function message(from: string, to: string, subject: string, body: string, attachment = false): string {
  const head = `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n`;
  if (!attachment) return `${head}Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
  return (
    `${head}Content-Type: multipart/mixed; boundary=XB\r\n\r\n--XB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n` +
    `--XB\r\nContent-Type: text/csv; name=numbers.csv\r\nContent-Disposition: attachment; filename=numbers.csv\r\n\r\na,b\r\n1,2\r\n--XB--\r\n`
  );
}

function compose(cmd: string, mime: string, clientId: string, ...extra: WbxmlElement[]): WbxmlElement {
  return el(
    "ComposeMail",
    cmd,
    el("ComposeMail", "ClientId", clientId),
    ...extra,
    el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
  );
}

function source(folderId: string, itemId: string): WbxmlElement {
  return el("ComposeMail", "Source", el("ComposeMail", "FolderId", folderId), el("ComposeMail", "ItemId", itemId));
}

function statusOf(tree: WbxmlElement | undefined): string | undefined {
  const s = tree?.children.find((c): c is WbxmlElement => isElement(c) && c.name === "Status");
  return s ? String(s.children[0]) : undefined;
}

// Default folders are created in a fixed order (src/store/folders.ts), and item ids count up from 1
// in a new mailbox, so a fresh account's first message has a known id.
const INBOX = "1";
const SENT_ITEMS = "4";

describe("SendMail over HTTP", () => {
  it("14.1 ComposeMail to an outside address: empty 200, relayed over SMTP From the user (MS-ASCMD_R463, MS-ASCMD_R448)", async () => {
    const a = await account("out");
    const rcpt = `bob-${run}@remote.test`;
    const res = await phone(a).command(
      "SendMail",
      compose("SendMail", message("Whoever <x@elsewhere.test>", rcpt, "out 14.1", "Hi Bob"), `c1-${run}`),
    );
    expect(res.status).toBe(200);
    expect(res.raw.byteLength).toBe(0);
    const got = await arrivedFor(rcpt);
    expect(got.from).toBe(a.address);
    const parsed = await PostalMime.parse(got.text);
    expect(parsed.from?.address).toBe(a.address);
    expect(parsed.text).toContain("Hi Bob");
  });

  it("12.1 SendMail: message/rfc822 body with SaveInSent in the plain and the base64 query (MS-ASCMD_R6094)", async () => {
    const a = await account("old");
    const p = phone(a, "12.1");
    const r1 = `carl-${run}@remote.test`;
    const plain = await p.command("SendMail", null, {
      rawBody: message(a.address, r1, "12.1 plain", "old phone"),
      contentType: "message/rfc822",
      params: { SaveInSent: "T" },
    });
    expect(plain.status).toBe(200);
    expect(plain.raw.byteLength).toBe(0);
    const r2 = `cora-${run}@remote.test`;
    const b64 = await p.command("SendMail", null, {
      rawBody: message(a.address, r2, "12.1 base64", "old phone"),
      contentType: "message/rfc822",
      base64Query: true,
      params: { SaveInSent: "T" },
    });
    expect(b64.status).toBe(200);
    expect((await PostalMime.parse((await arrivedFor(r1)).text)).subject).toBe("12.1 plain");
    expect((await PostalMime.parse((await arrivedFor(r2)).text)).subject).toBe("12.1 base64");
    // 12.1 has no Status element: a broken message is an HTTP error, never a 5xx (MS-ASCMD_R7461).
    const bad = await p.command("SendMail", null, { rawBody: "not a message", contentType: "message/rfc822" });
    expect(bad.status).toBe(400);
  });

  it("the same ClientId twice: Status 118, validated, and one message at the relay (MS-ASCMD_R4848, MS-ASCMD_R7465)", async () => {
    const a = await account("twice");
    const rcpt = `dora-${run}@remote.test`;
    const body = compose("SendMail", message(a.address, rcpt, "only once", "x"), `dup-${run}`);
    expect((await phone(a).command("SendMail", body)).status).toBe(200);
    const again = await phone(a).command("SendMail", body);
    expect(again.status).toBe(200);
    expect(again.tree).toMatchObject({ ns: "ComposeMail", name: "SendMail" });
    expect(statusOf(again.tree)).toBe("118");
    await arrivedFor(rcpt);
    await new Promise((r) => setTimeout(r, 1000));
    const all = (await (await fetch(`${sinkUrl}/messages`)).json()) as Arrived[];
    expect(all.filter((m) => m.to.includes(rcpt))).toHaveLength(1);
  });

  it("malformed MIME: Status 107; no recipient: 119 (MS-ASCMD_R4826, MS-ASCMD_R4853)", async () => {
    const a = await account("bad");
    const r1 = await phone(a).command("SendMail", compose("SendMail", "garbage without headers", `bad1-${run}`));
    expect(statusOf(r1.tree)).toBe("107");
    const r2 = await phone(a).command("SendMail", compose("SendMail", `From: ${a.address}\r\nSubject: none\r\n\r\nx\r\n`, `bad2-${run}`));
    expect(statusOf(r2.tree)).toBe("119");
  });
});

describe("local delivery, Sent Items, SmartReply and SmartForward over HTTP", () => {
  it("a mail to a local account lands in its Inbox (item 1), which it can SmartForward with the attachment (MS-ASCMD_R545)", async () => {
    const a = await account("amy");
    const b = await account("ben");
    const sent = await phone(a).command(
      "SendMail",
      compose("SendMail", message(a.address, b.address, "numbers", "See attached.", true), `l1-${run}`),
    );
    expect(sent.status).toBe(200);
    expect(sent.raw.byteLength).toBe(0);
    const outside = `fwd-${run}@remote.test`;
    // Ben's Inbox has exactly this message as item 1 once local delivery has run (the alarm fires at once).
    let fwd: Awaited<ReturnType<Phone["command"]>> | undefined;
    for (let i = 0; i < 50; i++) {
      fwd = await phone(b).command(
        "SmartForward",
        compose("SmartForward", message(b.address, outside, "FW: numbers", "From Ben."), `f1-${run}-${i}`, source(INBOX, "1")),
      );
      if (fwd.raw.byteLength === 0 || statusOf(fwd.tree) !== "150") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(fwd!.status).toBe(200);
    expect(fwd!.raw.byteLength).toBe(0);
    const parsed = await PostalMime.parse((await arrivedFor(outside)).text);
    expect(parsed.from?.address).toBe(b.address);
    expect(parsed.text).toMatch(/From Ben\.[\s\S]*See attached\./);
    expect(parsed.attachments.map((x) => x.filename)).toEqual(["numbers.csv"]);
  });

  it("SaveInSentItems puts the copy in Sent Items (item 1 of a new mailbox), and SmartReply quotes it (MS-ASCMD_R580)", async () => {
    const a = await account("sue");
    const first = `tom-${run}@remote.test`;
    expect(
      (
        await phone(a).command(
          "SendMail",
          compose("SendMail", message(a.address, first, "agenda", "Item one: budget."), `s1-${run}`, el("ComposeMail", "SaveInSentItems")),
        )
      ).status,
    ).toBe(200);
    await arrivedFor(first);
    const second = `tom2-${run}@remote.test`;
    const reply = await phone(a).command(
      "SmartReply",
      compose(
        "SmartReply",
        message(a.address, second, "RE: agenda", "Adding item two."),
        `s2-${run}`,
        source(SENT_ITEMS, "1"),
        el("ComposeMail", "SaveInSentItems"),
      ),
    );
    expect(reply.status).toBe(200);
    expect(reply.raw.byteLength).toBe(0);
    const parsed = await PostalMime.parse((await arrivedFor(second)).text);
    expect(parsed.text).toMatch(/Adding item two\.[\s\S]*Subject: agenda[\s\S]*Item one: budget\./);
  });

  it("SmartReply to an item that does not exist: Status 150, validated (MS-ASCMD_R4930)", async () => {
    const a = await account("nix");
    const res = await phone(a).command(
      "SmartReply",
      compose("SmartReply", message(a.address, `x-${run}@remote.test`, "RE: ?", "?"), `n1-${run}`, source(INBOX, "424242")),
    );
    expect(res.status).toBe(200);
    expect(res.tree).toMatchObject({ ns: "ComposeMail", name: "SmartReply" });
    expect(statusOf(res.tree)).toBe("150");
  });
});

describe("every protocol version", () => {
  // 12.1 has no ComposeMail body and no Status (MS-ASCMD_R7103, R7178, R7182, R7274, R7284): failures are HTTP
  // codes; 14.0+ answer a failure with <SendMail|SmartReply|SmartForward><Status/></…> (MS-ASCMD_R2557 MS-ASCMD_R2558
  // MS-ASCMD_R2559 MS-ASCMD_R2560 MS-ASCMD_R3887, MS-ASCMD_R2639 MS-ASCMD_R2640 MS-ASCMD_R2641 MS-ASCMD_R2642 MS-ASCMD_R3957,
  // MS-ASCMD_R2647 MS-ASCMD_R2648 MS-ASCMD_R2649 MS-ASCMD_R2650 MS-ASCMD_R3960, MS-ASCMD_R2751 MS-ASCMD_R2752 MS-ASCMD_R2753
  // MS-ASCMD_R2754 MS-ASCMD_R4380, MS-ASCMD_R4408), validated against the kit's XSDs by the Phone client.
  const versions = ["12.1", "14.0", "14.1", "16.0", "16.1"];

  it("SendMail succeeds with an empty 200 in 12.1 … 16.1; SmartReply/SmartForward failures are Status in 14.0+ and HTTP in 12.1 (MS-ASCMD_R6094, MS-ASCMD_R6095, MS-ASCMD_R6096, MS-ASCMD_R6097, MS-ASCMD_R6097100601, MS-ASCMD_R6106, MS-ASCMD_R6107, MS-ASCMD_R6108, MS-ASCMD_R6109, MS-ASCMD_R6109100601, MS-ASCMD_R6111, MS-ASCMD_R6112, MS-ASCMD_R6113, MS-ASCMD_R6114, MS-ASCMD_R6114100601, MS-ASCMD_R4379, MS-ASCMD_R4407, MS-ASCMD_R5776)", async () => {
    const a = await account("versions");
    for (const v of versions) {
      const p = phone(a, v);
      const legacy = v === "12.1";
      const rcpt = `v${v.replace(".", "")}-${run}@remote.test`;
      const mime = message(a.address, rcpt, `version ${v}`, "x");
      const ok = legacy
        ? await p.command("SendMail", null, { rawBody: mime, contentType: "message/rfc822" })
        : await p.command("SendMail", compose("SendMail", mime, `v-${v}-${run}`));
      expect([v, ok.status, ok.raw.byteLength]).toEqual([v, 200, 0]);
      expect((await PostalMime.parse((await arrivedFor(rcpt)).text)).subject).toBe(`version ${v}`);

      for (const cmd of ["SmartReply", "SmartForward"]) {
        const missing = legacy
          ? await p.command(cmd, null, { rawBody: mime, contentType: "message/rfc822", params: { ItemId: "424242", CollectionId: INBOX } })
          : await p.command(cmd, compose(cmd, mime, `m-${cmd}-${v}-${run}`, source(INBOX, "424242")));
        if (legacy) {
          expect([v, cmd, missing.status, missing.tree]).toEqual([v, cmd, 500, undefined]);
        } else {
          expect([v, cmd, missing.status, missing.tree?.name, statusOf(missing.tree)]).toEqual([v, cmd, 200, cmd, "150"]);
        }
      }
    }
  });

  it("an unparsable InstanceId: Status 104 (MS-ASCMD_R541, MS-ASCMD_R578)", async () => {
    const a = await account("instance");
    for (const cmd of ["SmartReply", "SmartForward"]) {
      const src = el(
        "ComposeMail",
        "Source",
        el("ComposeMail", "FolderId", INBOX),
        el("ComposeMail", "ItemId", "1"),
        el("ComposeMail", "InstanceId", "not a date"),
      );
      const res = await phone(a).command(cmd, compose(cmd, message(a.address, `i-${run}@remote.test`, "x", "x"), `i-${cmd}-${run}`, src));
      expect([cmd, statusOf(res.tree)]).toEqual([cmd, "104"]);
    }
  });
});
