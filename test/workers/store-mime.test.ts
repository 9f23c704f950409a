// The built-in store's MIME handling, inside workerd with the real Mailbox object and R2:
// summaries, plain/HTML renditions, attachments and charsets for every kind of the demo corpus.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without type declarations
import { demoMessages } from "../../scripts/demo-mail.mjs";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { MailSummary } from "../../src/store/types";

type Demo = { name: string; raw: Uint8Array; date: number };
const NOW = Date.UTC(2026, 10, 26);
const corpus = (demoMessages({ now: NOW, bigAttachmentBytes: 4096 }) as Demo[]).filter((m) => m.name !== "big-attachment");
const stub = () => env.MAILBOX.getByName("mime@example.test");
const ids = new Map<string, string>();

async function inStore<T>(fn: (mb: Mailbox) => Promise<T>): Promise<T> {
  return runInDurableObject(stub(), fn);
}
const summary = (name: string) => inStore((mb) => mb.store.getSummary("1", ids.get(name)!)) as Promise<MailSummary>;
const body2 = (itemId: string, type: "plain" | "html") => inStore((mb) => mb.store.getBody("1", itemId, type));
const body = (name: string, type: "plain" | "html") => body2(ids.get(name)!, type);

beforeAll(async () => {
  for (const m of corpus) ids.set(m.name, (await stub().deliver(new Uint8Array(m.raw))).itemId);
});

describe("workerd TextDecoder", () => {
  it("supports the legacy charset labels postal-mime hands it", () => {
    const decode = (label: string, bytes: number[]) => new TextDecoder(label).decode(new Uint8Array(bytes));
    expect(decode("windows-1252", [0x80, 0x93, 0x41, 0x94])).toBe("€“A”");
    expect(decode("iso-8859-2", [0xaf, 0xf3, 0xb3, 0x77])).toBe("Żółw");
    expect(decode("shift_jis", [0x93, 0xfa, 0x96, 0x7b])).toBe("日本");
    expect(decode("gb18030", [0xc4, 0xe3, 0xba, 0xc3])).toBe("你好");
    // UTF-7 is not in the Encoding Standard: the store decodes it itself (src/formats/utf7.ts).
    expect(() => new TextDecoder("utf-7")).toThrow();
  });
});

describe("summaries and bodies per corpus kind", () => {
  it("plain text: summary columns and the body as sent", async () => {
    const s = await summary("plain");
    expect(s).toMatchObject({
      subject: "Welcome to Mobile Sync",
      from: '"Mobile Sync" <welcome@example.test>',
      to: '"Demo User" <demo@example.test>',
      messageId: "<welcome@example.test>",
      importance: "normal",
      hasHtml: false,
      attachments: [],
      flags: { seen: false, flagged: false, answered: false, forwarded: false },
    });
    expect(s.date).toBe(corpus.find((m) => m.name === "plain")!.date);
    expect(s.size).toBe(corpus.find((m) => m.name === "plain")!.raw.byteLength);
    expect((await body("plain", "plain"))!.data).toContain("Your mailbox is ready.");
    expect(await body("plain", "html")).toBeNull();
  });

  it("HTML only: plain rendition is text, never markup; script and style dropped", async () => {
    const s = await summary("html-newsletter");
    expect(s.hasHtml).toBe(true);
    const plain = (await body("html-newsletter", "plain"))!;
    expect(plain.data).not.toMatch(/<[a-z!/]/i);
    expect(plain.data).not.toContain("track()");
    expect(plain.data).not.toContain("color:#333");
    expect(plain.data).toContain("Twelve races left this season — pick one here");
    expect(plain.data).toContain("Forest 10K");
    expect(plain.data).toContain("Autumn races"); // headings as written, not in capitals
    expect(plain.size).toBe(new TextEncoder().encode(plain.data).byteLength);
    expect(s.preview).not.toMatch(/[<>]/);
    expect((await body("html-newsletter", "html"))!.data).toContain("<h1>Autumn races</h1>");
  });

  it("multipart/alternative: text/plain part is the plain body, HTML kept, Cc parsed", async () => {
    const s = await summary("alternative");
    expect(s.cc).toBe('"Legal" <legal@partner.example>');
    expect(s.hasHtml).toBe(true);
    expect((await body("alternative", "plain"))!.data).toContain("- clause 4: 30 days, not 60");
    expect((await body("alternative", "html"))!.data).toContain("<b>30 days</b>");
  });

  it("inline images: attachments with stable part ids, content ids and inline flag; bytes intact", async () => {
    const s = await summary("inline-images");
    expect(s.attachments.map((a) => [a.partId, a.filename, a.contentType, a.inline, a.contentId])).toEqual([
      ["1", "tomatoes.png", "image/png", true, "tomatoes@family"],
      ["2", "cat.png", "image/png", true, "cat@family"],
    ]);
    const reference = await PostalMime.parse(corpus.find((m) => m.name === "inline-images")!.raw);
    const got = await inStore((mb) => mb.store.getAttachment("1", ids.get("inline-images")!, "2"));
    expect(got!.data).toEqual(new Uint8Array(reference.attachments[1].content as ArrayBuffer));
    expect(Array.from(got!.data.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect((await body("inline-images", "html"))!.data).toContain('src="cid:cat@family"');
  });

  it("attachments: PDF and image listed with sizes, fetched by part id, unknown part → null", async () => {
    const s = await summary("attachments");
    expect(s.attachments.map((a) => [a.partId, a.filename, a.contentType, a.size, a.inline])).toEqual([
      ["1", "invoice-2026-0419.pdf", "application/pdf", 24000, false],
      ["2", "delivery.png", "image/png", s.attachments[1].size, false],
    ]);
    const pdf = await inStore((mb) => mb.store.getAttachment("1", ids.get("attachments")!, "1"));
    expect(new TextDecoder().decode(pdf!.data.subarray(0, 8))).toBe("%PDF-1.4");
    expect(pdf!.data.byteLength).toBe(24000);
    expect(await inStore((mb) => mb.store.getAttachment("1", ids.get("attachments")!, "9"))).toBeNull();
  });

  it("meeting invitation: calendar content class and iTIP method REQUEST", async () => {
    const s = await summary("meeting-request");
    expect(s.contentClass).toBe("urn:content-classes:calendarmessage");
    expect(s.calendarMethod).toBe("REQUEST");
    expect(s.attachments[0]).toMatchObject({ contentType: "text/calendar", filename: "invite.ics" });
    const ics = await inStore((mb) => mb.store.getAttachment("1", ids.get("meeting-request")!, s.attachments[0].partId));
    expect(new TextDecoder().decode(ics!.data)).toContain("METHOD:REQUEST");
  });

  it("a thread: In-Reply-To, References and the Thread-Topic", async () => {
    const s = await summary("thread-03");
    expect(s.subject).toBe("Re: Team offsite");
    expect(s.threadTopic).toBe("Team offsite");
    expect(s.inReplyTo).toBe("<offsite-2@example.test>");
    expect(s.references).toBe("<offsite-1@example.test> <offsite-2@example.test>");
  });

  it("an encoded Thread-Topic (as Outlook sends it) is decoded", async () => {
    const raw = new TextEncoder().encode(
      "From: o@example.test\r\nTo: mime@example.test\r\nSubject: =?utf-8?Q?AW:_Br=C3=BCcke?=\r\nThread-Topic: =?utf-8?B?QnLDvGNrZQ==?=\r\n\r\nx\r\n",
    );
    const { itemId } = await stub().deliver(raw);
    const s = (await inStore((mb) => mb.store.getSummary("1", itemId)))!;
    expect(s.subject).toBe("AW: Brücke");
    expect(s.threadTopic).toBe("Brücke");
  });

  it("importance from Importance / X-Priority", async () => {
    expect((await summary("high-importance")).importance).toBe("high");
  });
});

describe("charsets come out as UTF-8 text", () => {
  it("windows-1252 (subject encoded-word, 8-bit body with smart quotes and €)", async () => {
    const s = await summary("windows-1252");
    expect(s.subject).toBe("Re: “Café” – €50 reçu");
    expect(s.from).toBe('"Renée Lefèvre" <renee@bureau.example>');
    expect((await body("windows-1252", "plain"))!.data).toContain("The “quarterly” report is attached – total: €1 250.");
    expect(s.threadTopic).toBe("“Café” – €50 reçu");
  });

  it("ISO-8859-2", async () => {
    const s = await summary("iso-8859-2");
    expect(s.subject).toBe("Zażółć gęślą jaźń - faktura");
    expect(s.from).toBe('"Małgorzata Wiśniewska" <m.wisniewska@firma.example>');
    expect((await body("iso-8859-2", "plain"))!.data).toContain("Łączę pozdrowienia,\nMałgorzata Wiśniewska\nKraków");
  });

  it("Shift_JIS", async () => {
    const s = await summary("shift_jis");
    expect(s.subject).toBe("会議の議事録について");
    expect(s.from).toBe('"佐藤" <sato@kaisha.example>');
    expect((await body("shift_jis", "plain"))!.data).toContain("来週の打ち合わせは月曜日の午後二時からです。");
  });

  it("GB18030", async () => {
    expect((await summary("gb18030")).subject).toBe("本季度销售报告");
    expect((await body("gb18030", "plain"))!.data).toContain("附件是本季度的销售报告。请查收。");
  });

  it("UTF-7 body and encoded-word", async () => {
    expect((await summary("utf-7")).subject).toBe("Café crème");
    expect((await body("utf-7", "plain"))!.data).toContain("Café crème brûlée, 1 + 1 = 2, 日本語.");
  });

  it("broken encoded-words and QP: valid text, the good parts decoded, nothing lost", async () => {
    const s = await summary("broken-encoded-words");
    expect(s.subject.startsWith("Café")).toBe(true);
    expect(s.subject).toContain("naïve");
    expect(s.subject).not.toMatch(/[\u0000-\u0008\uD800-\uDFFF]/);
    expect(s.subject).not.toMatch(/\uFFFD\uFFFD/);
    expect(s.from).toBe('"Maré" <broken@spam.example>');
    const plain = (await body("broken-encoded-words", "plain"))!.data;
    expect(plain).toContain("a valid one é.");
    // Everything the store hands out must survive a UTF-8 round trip unchanged.
    for (const text of [s.subject, s.from, s.preview, plain]) {
      expect(new TextDecoder().decode(new TextEncoder().encode(text))).toBe(text);
    }
  });
});

describe("raw MIME", () => {
  it("getMime returns every corpus message byte-identical", async () => {
    for (const m of corpus) {
      const raw = await inStore((mb) => mb.store.getMime("1", ids.get(m.name)!));
      expect(raw, m.name).toEqual(new Uint8Array(m.raw));
    }
  });

  it("hostile or empty input is stored, never crashes the append", async () => {
    const enc = new TextEncoder();
    let nested = "From: x@example.test\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
    for (let i = 1; i < 400; i++) nested += `--b${i - 1}\r\nContent-Type: multipart/mixed; boundary=b${i}\r\n\r\n`;
    const inputs = [
      new Uint8Array(0),
      enc.encode("Subject: only headers\r\n"),
      enc.encode(nested),
      enc.encode(`Subject: ${"x".repeat(3_000_000)}\r\n\r\nbody`),
      // Under postal-mime's 2 MiB header limit, but over the 2 MB row limit if stored whole.
      enc.encode(`Subject: ${"s".repeat(1_000_000)}\r\nTo: ${"t@example.test, ".repeat(65_000)}\r\n\r\nbody`),
      new Uint8Array(5000).map((_, i) => (i * 7919) & 255),
    ];
    for (const raw of inputs) {
      const { itemId } = await stub().deliver(raw);
      const s = (await inStore((mb) => mb.store.getSummary("1", itemId)))!;
      expect(s.size).toBe(raw.byteLength);
      expect(await inStore((mb) => mb.store.getMime("1", itemId))).toEqual(raw);
      const plain = (await body2(itemId, "plain"))!;
      expect(new TextDecoder().decode(new TextEncoder().encode(plain.data))).toBe(plain.data);
    }
    // Production SQLite refuses values and rows over 2 MB (local workerd does not enforce it, so check
    // the sizes): bodies and raw MIME are bounded by the inline threshold, header columns are capped.
    const widest = await runInDurableObject(stub(), async (_mb: Mailbox, state) =>
      state.storage.sql
        .exec<{ row: number; subject: number; too: number }>(
          `SELECT max(coalesce(length(raw), 0) + coalesce(length(CAST(plain AS BLOB)), 0) + coalesce(length(CAST(html AS BLOB)), 0)
                  + length(CAST(subject AS BLOB)) + length(CAST(to_addr AS BLOB)) + length(CAST(cc_addr AS BLOB)) + length(attachments)) AS row,
                  max(length(subject)) AS subject, max(length(to_addr)) AS too FROM messages`,
        )
        .one(),
    );
    expect(widest.subject).toBeLessThanOrEqual(2048);
    expect(widest.too).toBeLessThanOrEqual(32_768);
    expect(widest.row).toBeLessThan(1_000_000);
  });

  it("a message that is not MIME at all is kept and shown as text", async () => {
    const junk = new TextEncoder().encode("this is not\x00 a mail\r\n\r\n\xff\xfe garbage");
    const { itemId } = await stub().deliver(junk);
    const s = await inStore((mb) => mb.store.getSummary("1", itemId));
    expect(s!.size).toBe(junk.byteLength);
    expect(await inStore((mb) => mb.store.getMime("1", itemId))).toEqual(junk);
  });
});
