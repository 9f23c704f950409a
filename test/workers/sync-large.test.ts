// The demo corpus's 10 MB attachment over ItemOperations (anchors §3 #12): by Range, inline base64 and
// multipart, byte-identical to what the sender attached; the Sync that lists it stays small (the
// attachment is only announced with its FileReference and size).
import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without type declarations
import { demoMessages } from "../../scripts/demo-mail.mjs";
import { createAccount } from "../../src/service/directory";
import { child, childText, childrenNamed, decodeWbxml, el } from "../../src/wbxml/index";
import { TestPhone, attachmentFetchBody, bodyPref, collectionOf, mailOptions, moreAvailable, syncKeyOf } from "./helpers/phone";

const USER = "big@example.test";
const PW = "big-secret";
const INBOX = "1";
let original: Uint8Array;

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  const big = (demoMessages({ now: Date.UTC(2026, 10, 26) }) as { name: string; raw: Uint8Array }[]).find(
    (m) => m.name === "big-attachment",
  )!;
  const parsed = await PostalMime.parse(big.raw);
  const att = parsed.attachments.reduce((a, b) => (sizeOf(b.content) > sizeOf(a.content) ? b : a));
  original = typeof att.content === "string" ? new TextEncoder().encode(att.content) : new Uint8Array(att.content);
  await env.MAILBOX.getByName(USER).deliver(new Uint8Array(big.raw));
}, 60_000);

function sizeOf(c: ArrayBuffer | Uint8Array | string): number {
  return typeof c === "string" ? c.length : c.byteLength;
}

describe("a 10 MB attachment", () => {
  it("MS-ASCMD_R3711 MS-ASCMD_R5422 MS-ASCMD_R236: listed by Sync with its size, fetched by Range inline and multipart", async () => {
    const phone = new TestPhone(USER, PW, "BIG1");
    const key = syncKeyOf(await phone.sync(INBOX, "0"));
    const r = await phone.sync(INBOX, key);
    expect(r.raw.length).toBeLessThan(200_000); // the attachment itself is not in the Sync response
    const attachments = childrenNamed(
      child(child(child(child(collectionOf(r), "Commands"), "Add"), "ApplicationData"), "Attachments"),
      "Attachment",
    );
    const big = attachments.find((a) => Number(childText(a, "EstimatedDataSize")) === original.length)!;
    expect(big).toBeDefined();
    const ref = childText(big, "FileReference")!;

    const fetch = (range: string) => attachmentFetchBody(ref, range);
    const last = `${original.length - 1000}-${original.length + 5000}`; // past the end: cut at the end
    const inline = await phone.send("ItemOperations", fetch(last));
    const props = child(child(child(inline.body, "Response"), "Fetch"), "Properties");
    expect(childText(props, "Range")).toBe(`${original.length - 1000}-${original.length - 1}`);
    expect(childText(props, "Total")).toBe(String(original.length));
    expect(Uint8Array.from(atob(childText(props, "Data")!), (c) => c.charCodeAt(0))).toEqual(original.slice(original.length - 1000));

    const m = await phone.send("ItemOperations", fetch("0-1048575"), { headers: { "MS-ASAcceptMultiPart": "T" } });
    const view = new DataView(m.raw.buffer, m.raw.byteOffset);
    const [o0, l0, o1, l1] = [view.getInt32(4, true), view.getInt32(8, true), view.getInt32(12, true), view.getInt32(16, true)];
    const part0 = decodeWbxml(m.raw.subarray(o0, o0 + l0));
    expect(childText(child(child(child(part0, "Response"), "Fetch"), "Properties"), "Part")).toBe("1");
    expect(m.raw.subarray(o1, o1 + l1)).toEqual(original.slice(0, 1048576));

    const beyond = await phone.send("ItemOperations", fetch(`${original.length + 10}-${original.length + 20}`));
    expect(childText(child(child(beyond.body, "Response"), "Fetch"), "Status")).toBe("8"); // MS-ASCMD_R4160
    // The same with multipart (the streamed path): Status 8, no part.
    const beyondPart = await phone.send("ItemOperations", fetch(`${original.length + 10}-${original.length + 20}`), {
      headers: { "MS-ASAcceptMultiPart": "T" },
    });
    const pv = new DataView(beyondPart.raw.buffer, beyondPart.raw.byteOffset);
    expect(pv.getInt32(0, true)).toBe(1);
    const only = decodeWbxml(beyondPart.raw.subarray(pv.getInt32(4, true), pv.getInt32(4, true) + pv.getInt32(8, true)));
    expect(childText(child(child(only, "Response"), "Fetch"), "Status")).toBe("8");
    // A multipart Range cut at the end: the part holds just the last bytes, Range and Total say so.
    const tail = await phone.send("ItemOperations", fetch(last), { headers: { "MS-ASAcceptMultiPart": "T" } });
    const tv = new DataView(tail.raw.buffer, tail.raw.byteOffset);
    const tailXml = decodeWbxml(tail.raw.subarray(tv.getInt32(4, true), tv.getInt32(4, true) + tv.getInt32(8, true)));
    const tailProps = child(child(child(tailXml, "Response"), "Fetch"), "Properties");
    expect(childText(tailProps, "Range")).toBe(`${original.length - 1000}-${original.length - 1}`);
    expect(childText(tailProps, "Total")).toBe(String(original.length));
    expect(tail.raw.subarray(tv.getInt32(12, true), tv.getInt32(12, true) + tv.getInt32(16, true))).toEqual(
      original.slice(original.length - 1000),
    );
  }, 60_000);

  it("fetched whole with multipart, inline and by GetAttachment (12.1): streamed from R2 to the phone, byte-identical, with its Content-Length (issue 15)", async () => {
    const phone = new TestPhone(USER, PW, "BIG2");
    const key = syncKeyOf(await phone.sync(INBOX, "0"));
    const r = await phone.sync(INBOX, key);
    const refs = childrenNamed(
      child(child(child(child(collectionOf(r), "Commands"), "Add"), "ApplicationData"), "Attachments"),
      "Attachment",
    );
    const ref = childText(
      refs.find((a) => Number(childText(a, "EstimatedDataSize")) === original.length),
      "FileReference",
    )!;

    // The mailbox hands a whole attachment asked for as a stream over as one, never as bytes it holds.
    const [streamed] = await env.MAILBOX.getByName(USER).itemOperationsFetch([{ kind: "attachment", fileReference: ref }]);
    expect(streamed).toMatchObject({ kind: "attachment", status: 1, total: original.length });
    expect(streamed.kind === "attachment" && streamed.data).toBeFalsy();
    expect(streamed.kind === "attachment" && streamed.body instanceof ReadableStream).toBe(true);
    if (streamed.kind === "attachment") await streamed.body?.cancel();
    // A large range streams too (a ranged R2 read); a small one is sent as bytes, which moves faster.
    const [bigRange, smallRange] = await env.MAILBOX.getByName(USER).itemOperationsFetch([
      { kind: "attachment", fileReference: ref, range: { start: 100, end: 100 + 5 * 1048576 - 1 } },
      { kind: "attachment", fileReference: ref, range: { start: 100, end: 100 + 1048576 - 1 } },
    ]);
    if (bigRange.kind !== "attachment" || smallRange.kind !== "attachment") throw new Error("not attachment results");
    expect(new Uint8Array(await new Response(bigRange.body).arrayBuffer())).toEqual(original.slice(100, 100 + 5 * 1048576));
    expect(bigRange.range).toEqual({ start: 100, end: 100 + 5 * 1048576 - 1 });
    expect(smallRange.body).toBeUndefined();
    expect(smallRange.data).toEqual(original.slice(100, 100 + 1048576));

    // Asked twice in one multipart response: the first streams whole into part 1; the second would pass the
    // response budget (counted by the streamed size, never loaded) and gets Status 11 ([MS-ASCMD] 2.2.3.177.8).
    const twice = el(
      "ItemOperations",
      "ItemOperations",
      ...[1, 2].map(() => el("ItemOperations", "Fetch", el("ItemOperations", "Store", "Mailbox"), el("AirSyncBase", "FileReference", ref))),
    );
    const m = await phone.send("ItemOperations", twice, { headers: { "MS-ASAcceptMultiPart": "T" } });
    expect(m.headers.get("Content-Length")).toBe(String(m.raw.length));
    const view = new DataView(m.raw.buffer, m.raw.byteOffset);
    expect(view.getInt32(0, true)).toBe(2);
    const part = (i: number) =>
      m.raw.subarray(view.getInt32(4 + 8 * i, true), view.getInt32(4 + 8 * i, true) + view.getInt32(8 + 8 * i, true));
    const fetches = childrenNamed(child(decodeWbxml(part(0)), "Response"), "Fetch");
    expect(fetches.map((f) => childText(f, "Status"))).toEqual(["1", "11"]);
    expect(childText(child(fetches[0], "Properties"), "Part")).toBe("1");
    expect(part(1)).toEqual(original);

    // Inline (no multipart): base64 in Data, encoded on its way out, with the Content-Length the body has.
    const inline = await phone.send("ItemOperations", attachmentFetchBody(ref));
    expect(inline.headers.get("Content-Length")).toBe(String(inline.raw.length));
    const data = childText(child(child(child(inline.body, "Response"), "Fetch"), "Properties"), "Data")!;
    expect(Uint8Array.from(atob(data), (c) => c.charCodeAt(0))).toEqual(original);

    const old = new TestPhone(USER, PW, "BIG3", "12.1");
    const g = await old.send("GetAttachment", null, { query: `&AttachmentName=${encodeURIComponent(ref)}` });
    expect(g.status).toBe(200);
    expect(g.headers.get("Content-Length")).toBe(String(original.length));
    expect(g.raw).toEqual(original);
  }, 60_000);

  it("the whole demo corpus (UTF-7, broken encoded-words, Shift_JIS, windows-1252 …) syncs as HTML and as MIME without a failure", async () => {
    const user = "corpus@example.test";
    await createAccount(env.DB, user, PW);
    const corpus = demoMessages({ now: Date.now() }) as { name: string; raw: Uint8Array }[];
    for (const m of corpus) await env.MAILBOX.getByName(user).deliver(new Uint8Array(m.raw));
    for (const [name, opts] of [
      ["html", mailOptions(bodyPref(2, 20_000, [el("AirSyncBase", "Preview", 255)]))],
      ["mime", mailOptions(el("AirSync", "MIMESupport", 2), bodyPref(4))],
    ] as const) {
      const phone = new TestPhone(user, PW, `CORPUS-${name}`, "16.1");
      let key = syncKeyOf(await phone.sync(INBOX, "0", { options: opts }));
      const subjects: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await phone.sync(INBOX, key, { windowSize: 7, options: opts });
        for (const a of childrenNamed(child(collectionOf(r), "Commands"), "Add")) {
          const data = child(a, "ApplicationData")!;
          subjects.push(childText(data, "Subject") ?? "");
          expect(child(data, "Body"), `${name}: ${childText(data, "Subject")}`).toBeDefined();
        }
        key = syncKeyOf(r);
        if (!moreAvailable(r)) break;
      }
      expect(subjects, name).toHaveLength(corpus.length);
      expect(
        subjects.some((s) => /[\u3040-\u30ff]/.test(s)),
        "Shift_JIS subject decoded",
      ).toBe(true);
    }
  }, 120_000);
});
