// Search Store=Mailbox end to end: a phone searches over HTTP against `wrangler dev`, in every protocol version,
// each decoded response validated with the conformance kit by the Phone client; a result's LongId is fetched
// with ItemOperations and replied to with SmartReply (14.1 ComposeMail Source, 12.1 LongId query parameter).
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone } from "./phone";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const sinkUrl = inject("smtpSinkUrl");
const token = inject("adminToken");
const run = Date.now().toString(36);
const DOMAIN = `s${run}.test`;
const USER = `search-${run}@${DOMAIN}`;
const COLLEAGUE = `nadia.keller@${DOMAIN}`;
const STRANGER = `nadia@elsewhere-${run}.test`;
const PHOTO = Buffer.from(new Uint8Array(300).map((_, i) => i)).toString("base64");
const PW = "search e2e password";
const VERSIONS = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"];

const phone = (protocolVersion = "14.1") =>
  new Phone({ baseUrl: url, user: USER, password: PW, deviceId: `search${run}`, deviceType: "iPhone", protocolVersion });

async function deliver(subject: string, body: string): Promise<void> {
  const raw =
    `From: Carol Diaz <carol@example.test>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Message-ID: <${crypto.randomUUID()}@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
  const res = await fetch(`${url}/cdn-cgi/handler/email?from=carol@example.test&to=${encodeURIComponent(USER)}`, {
    method: "POST",
    body: raw,
  });
  expect(res.status, await res.text()).toBe(200);
}

const s = (name: string, ...c: Parameters<typeof el>[2][]) => el("Search", name, ...c);

function mailboxSearch(conditions: WbxmlElement[], options: WbxmlElement[] = [], query?: WbxmlElement): WbxmlElement {
  return s(
    "Search",
    s("Store", s("Name", "Mailbox"), query ?? s("Query", s("And", ...conditions)), options.length ? s("Options", ...options) : null),
  );
}

const store = (tree: WbxmlElement | undefined) => child(child(tree, "Response"), "Store");
const results = (tree: WbxmlElement | undefined) => childrenNamed(store(tree), "Result").filter((r) => r.children.length > 0);
const subjectOf = (r: WbxmlElement) => childText(child(r, "Properties"), "Subject", "Email");

const CALENDAR = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//test//EN",
  "BEGIN:VEVENT",
  "UID:busy-1@test",
  "DTSTAMP:20261201T000000Z",
  "DTSTART:20270115T090000Z",
  "DTEND:20270115T100000Z",
  "SUMMARY:Pilot briefing",
  "END:VEVENT",
  "BEGIN:VEVENT",
  "UID:tentative-1@test",
  "DTSTAMP:20261201T000000Z",
  "DTSTART:20270115T110000Z",
  "DTEND:20270115T113000Z",
  "STATUS:TENTATIVE",
  "SUMMARY:Maybe lunch",
  "END:VEVENT",
  "END:VCALENDAR",
  "",
].join("\r\n");
const CONTACTS = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "UID:c-1@test",
  "FN:Nadia Partner",
  "N:Partner;Nadia;;;",
  `EMAIL:nadia@partner-${run}.test`,
  "END:VCARD",
  "",
].join("\r\n");

async function adminText(method: string, path: string, body: string, type: string): Promise<number> {
  const res = await fetch(`${url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": type }, body });
  await res.arrayBuffer();
  return res.status;
}

async function admin(method: string, path: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
  await insertAccount(persistTo, COLLEAGUE, PW);
  await insertAccount(persistTo, STRANGER, PW);
  expect(
    await admin("PUT", `/gal/${COLLEAGUE}`, {
      displayName: "Nadia Keller",
      firstName: "Nadia",
      lastName: "Keller",
      title: "Harbour master",
      phone: "+41 44 000 00 00",
      photo: PHOTO,
    }),
  ).toBe(200);
  expect(await admin("PUT", `/gal/${STRANGER}`, { displayName: "Nadia Stranger" })).toBe(200);
  await deliver("Harbour lease renewal", "The lease for the harbour office ends in March. Signed copy attached later.");
  for (let i = 0; i < 4; i++) await deliver(`Standup notes ${i}`, `Nothing about boats, day ${i}.`);
  await deliver("Re: Harbour lease renewal", "Agreed, let us renew for two years.");
  // The colleague's calendar (availability) and the user's own contacts (ResolveRecipients Type 2).
  expect(await adminText("PUT", `/mailboxes/${COLLEAGUE}/calendar.ics`, CALENDAR, "text/calendar")).toBe(200);
  expect(await adminText("PUT", `/mailboxes/${USER}/contacts.vcf`, CONTACTS, "text/vcard")).toBe(200);
}, 240_000);

describe("Search Store=Mailbox over HTTP", () => {
  it("OPTIONS announces Search (MS-ASHTTP_R247: what is served)", async () => {
    const res = await phone().options();
    expect(res.headers.get("MS-ASProtocolCommands")?.split(",")).toContain("Search");
  });

  it("finds mail by a word prefix in every version, newest first, with LongId, CollectionId, Range and Total (MS-ASCMD_R375, MS-ASCMD_R419, MS-ASCMD_R420, MS-ASCMD_R421, MS-ASCMD_R3238, MS-ASCMD_R2028, MS-ASCMD_R5849, MS-ASCMD_R6087, MS-ASCMD_R6088, MS-ASCMD_R6089, MS-ASCMD_R6090, MS-ASCMD_R6090100601)", async () => {
    for (const v of VERSIONS) {
      const res = await phone(v).command(
        "Search",
        mailboxSearch(
          [el("AirSync", "Class", "Email"), el("AirSync", "CollectionId", "1"), s("FreeText", "harb")],
          [s("Range", "0-9"), el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 200))],
        ),
      );
      expect(res.status, v).toBe(200);
      expect(childText(res.tree, "Status"), v).toBe("1");
      expect(childText(store(res.tree), "Status"), v).toBe("1");
      const hits = results(res.tree);
      expect(hits.map(subjectOf), v).toEqual(["Re: Harbour lease renewal", "Harbour lease renewal"]);
      expect(childText(hits[0], "Class", "AirSync")).toBe("Email");
      expect(childText(hits[0], "CollectionId", "AirSync")).toBe("1");
      expect(childText(hits[0], "LongId")).toMatch(/^1:\d+$/);
      expect(childText(child(child(hits[1], "Properties"), "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("harbour office");
      expect(childText(store(res.tree), "Range")).toBe("0-1");
      expect(childText(store(res.tree), "Total")).toBe("2");
    }
  });

  it("no match: Status 1, an empty Result and Total 0; Range beyond 100 results: Status 12 (MS-ASCMD_R3733, MS-ASCMD_R3736)", async () => {
    const none = await phone("16.1").command("Search", mailboxSearch([s("FreeText", "zeppelin")]));
    expect(childText(store(none.tree), "Status")).toBe("1");
    expect(results(none.tree)).toEqual([]);
    expect(childText(store(none.tree), "Total")).toBe("0");
    const wide = await phone("16.1").command("Search", mailboxSearch([s("FreeText", "standup")], [s("Range", "0-150")]));
    expect(childText(store(wide.tree), "Status")).toBe("12");
    expect(results(wide.tree)).toHaveLength(4);
    expect(childText(store(wide.tree), "Total")).toBe("4");
    const paged = await phone("16.1").command(
      "Search",
      mailboxSearch([s("FreeText", "standup")], [s("Range", "1-2"), s("RebuildResults"), s("DeepTraversal")]),
    );
    expect(results(paged.tree).map(subjectOf)).toEqual(["Standup notes 2", "Standup notes 1"]);
    expect(childText(store(paged.tree), "Range")).toBe("1-2");
  });

  it("dates: GreaterThan/LessThan on DateReceived (MS-ASCMD_R3140)", async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const before = await phone("14.1").command(
      "Search",
      mailboxSearch([s("FreeText", "harbour"), s("LessThan", el("Email", "DateReceived"), s("Value", future))]),
    );
    expect(childText(store(before.tree), "Total")).toBe("2");
    const after = await phone("14.1").command(
      "Search",
      mailboxSearch([s("FreeText", "harbour"), s("GreaterThan", el("Email", "DateReceived"), s("Value", future))]),
    );
    expect(childText(store(after.tree), "Total")).toBe("0");
  });

  it("conditions outside And: Status 8; a bad Range, Class or folder: Status 2 (MS-ASCMD_R3105, MS-ASCMD_R923, MS-ASCMD_R2032)", async () => {
    const p = phone("14.1");
    const bare = await p.command("Search", mailboxSearch([], [], s("Query", s("FreeText", "harbour"))));
    expect(childText(store(bare.tree), "Status")).toBe("8");
    const or = await p.command("Search", mailboxSearch([], [], s("Query", s("Or", s("FreeText", "harbour")))));
    expect(childText(store(or.tree), "Status")).toBe("8");
    const range = await p.command("Search", mailboxSearch([s("FreeText", "harbour")], [s("Range", "9-2")]));
    expect(childText(store(range.tree), "Status")).toBe("2");
    const cls = await p.command("Search", mailboxSearch([el("AirSync", "Class", "Faxes"), s("FreeText", "harbour")]));
    expect(childText(store(cls.tree), "Status")).toBe("2");
    const folder = await p.command("Search", mailboxSearch([el("AirSync", "CollectionId", "4242"), s("FreeText", "harbour")]));
    expect(childText(store(folder.tree), "Status")).toBe("2");
  });

  it("a result's LongId fetches the message (ItemOperations) in 12.1 … 16.1, and answers with the LongId", async () => {
    const found = await phone("16.1").command("Search", mailboxSearch([s("FreeText", "renew")]));
    const longId = childText(results(found.tree)[0], "LongId")!;
    for (const v of VERSIONS.slice(1)) {
      const res = await phone(v).command(
        "ItemOperations",
        el(
          "ItemOperations",
          "ItemOperations",
          el(
            "ItemOperations",
            "Fetch",
            el("ItemOperations", "Store", "Mailbox"),
            el("Search", "LongId", longId),
            el("ItemOperations", "Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))),
          ),
        ),
      );
      const fetch = child(child(res.tree, "Response"), "Fetch");
      expect(childText(fetch, "Status"), v).toBe("1");
      expect(childText(fetch, "LongId", "Search")).toBe(longId);
      expect(childText(child(fetch, "Properties"), "Subject", "Email")).toBe("Re: Harbour lease renewal");
    }
  });

  it("SmartReply to a result by LongId: 14.1 ComposeMail Source and 12.1 query parameter (MS-ASCMD_R587)", async () => {
    const found = await phone("14.1").command("Search", mailboxSearch([s("FreeText", "lease")]));
    const longId = childText(results(found.tree)[1], "LongId")!; // the original "Harbour lease renewal"
    const to14 = `reply14-${run}@remote.test`;
    const mime = (to: string) =>
      `From: ${USER}\r\nTo: ${to}\r\nSubject: RE: Harbour lease renewal\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n`;
    const reply = await phone("14.1").command(
      "SmartReply",
      el(
        "ComposeMail",
        "SmartReply",
        el("ComposeMail", "ClientId", `r14-${run}`),
        el("ComposeMail", "Source", el("ComposeMail", "LongId", longId)),
        el("ComposeMail", "Mime", new TextEncoder().encode(mime(to14))),
      ),
    );
    expect(reply.status).toBe(200);
    expect(reply.raw.byteLength).toBe(0);
    expect((await PostalMime.parse(await arrivedFor(to14))).text).toMatch(/See below\.[\s\S]*harbour office ends in March/);

    const to12 = `reply12-${run}@remote.test`;
    const legacy = await phone("12.1").command("SmartReply", null, {
      params: { LongId: longId },
      rawBody: mime(to12),
      contentType: "message/rfc822",
    });
    expect(legacy.status).toBe(200);
    expect((await PostalMime.parse(await arrivedFor(to12))).text).toMatch(/See below\.[\s\S]*harbour office ends in March/);
  });
});

async function arrivedFor(rcpt: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await (await fetch(`${sinkUrl}/messages`)).json()) as { to: string[]; raw: string }[];
    const m = list.find((x) => x.to.includes(rcpt));
    if (m) return Buffer.from(m.raw, "base64").toString("utf8");
    if (Date.now() > deadline) throw new Error(`nothing arrived for ${rcpt}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function galSearch(query: string, options: WbxmlElement[] = []): WbxmlElement {
  return s("Search", s("Store", s("Name", "GAL"), s("Query", query), options.length ? s("Options", ...options) : null));
}

describe("Search Store=GAL over HTTP", () => {
  it("finds a colleague of the caller's domain by name in every version, never another domain's (MS-ASCMD_R375, MS-ASCMD_R3735, MS-ASCMD_R425)", async () => {
    for (const v of VERSIONS) {
      const res = await phone(v).command("Search", galSearch("nadia", [s("Range", "0-9")]));
      expect(childText(store(res.tree), "Status"), v).toBe("1");
      const props = results(res.tree).map((r) => child(r, "Properties"));
      expect(
        props.map((p) => childText(p, "EmailAddress", "GAL")),
        v,
      ).toEqual([COLLEAGUE]);
      expect(childText(props[0], "DisplayName", "GAL")).toBe("Nadia Keller");
      expect(childText(props[0], "Title", "GAL")).toBe("Harbour master");
      expect(childText(props[0], "Alias", "GAL")).toBe("nadia.keller");
      expect(childText(store(res.tree), "Total")).toBe("1");
      expect(childText(store(res.tree), "Range")).toBe("0-0");
    }
    const none = await phone("16.1").command("Search", galSearch("stranger"));
    expect(results(none.tree)).toEqual([]);
    expect(childText(store(none.tree), "Total")).toBe("0");
  });

  it("pictures (14.1+): the photo, 174 beyond MaxSize, 173 without one (MS-ASCMD_R2381, MS-ASCMD_R3295)", async () => {
    const withPhoto = await phone("16.1").command(
      "Search",
      galSearch("nadia", [s("Range", "0-9"), s("Picture", s("MaxSize", 1000), s("MaxPictures", 5))]),
    );
    const pic = child(child(results(withPhoto.tree)[0], "Properties"), "Picture", "GAL");
    expect(childText(pic, "Status", "GAL")).toBe("1");
    expect(childText(pic, "Data", "GAL")).toBe(PHOTO);
    const small = await phone("14.1").command("Search", galSearch("nadia", [s("Picture", s("MaxSize", 100))]));
    expect(childText(child(child(results(small.tree)[0], "Properties"), "Picture", "GAL"), "Status", "GAL")).toBe("174");
    const mine = await phone("14.1").command("Search", galSearch("search", [s("Picture")]));
    expect(childText(child(child(results(mine.tree)[0], "Properties"), "Picture", "GAL"), "Status", "GAL")).toBe("173");
  });

  it("an empty query is an invalid request; a Range past 100 entries is Status 12", async () => {
    expect(childText(store((await phone("14.1").command("Search", galSearch(" "))).tree), "Status")).toBe("2");
    expect(childText(store((await phone("14.1").command("Search", galSearch("nadia", [s("Range", "0-200")]))).tree), "Status")).toBe("12");
  });
});

const r = (name: string, ...c: Parameters<typeof el>[2][]) => el("ResolveRecipients", name, ...c);

describe("ResolveRecipients over HTTP", () => {
  const responses = (tree: WbxmlElement | undefined) => childrenNamed(tree, "Response");
  const recipients = (resp: WbxmlElement | undefined) => childrenNamed(resp, "Recipient");

  it("resolves a colleague of the domain in every version; availability from the colleague's calendar in 30-minute slots (14.0+); no certificate (Status 7) (MS-ASCMD_R6081, MS-ASCMD_R6082, MS-ASCMD_R6083, MS-ASCMD_R6084, MS-ASCMD_R6084100601, MS-ASCMD_R819, MS-ASCMD_R365, MS-ASCMD_R3315, MS-ASCMD_R3767, MS-ASCMD_R4686)", async () => {
    for (const v of VERSIONS) {
      const options = [
        r("CertificateRetrieval", 2),
        Number.parseFloat(v) >= 14
          ? r("Availability", r("StartTime", "2027-01-15T08:00:00.000Z"), r("EndTime", "2027-01-15T12:00:00.000Z"))
          : null,
        Number.parseFloat(v) >= 14.1 ? r("Picture", r("MaxSize", 10_000)) : null,
      ].filter((x): x is WbxmlElement => x !== null);
      const res = await phone(v).command("ResolveRecipients", r("ResolveRecipients", r("To", COLLEAGUE), r("Options", ...options)));
      expect(childText(res.tree, "Status"), v).toBe("1");
      const [resp] = responses(res.tree);
      expect(childText(resp, "To")).toBe(COLLEAGUE);
      expect(childText(resp, "Status"), v).toBe("1");
      expect(childText(resp, "RecipientCount")).toBe("1");
      const [rec] = recipients(resp);
      expect(childText(rec, "Type")).toBe("1");
      expect(childText(rec, "DisplayName")).toBe("Nadia Keller");
      expect(childText(rec, "EmailAddress")).toBe(COLLEAGUE);
      expect(childText(child(rec, "Certificates"), "Status")).toBe("7");
      if (Number.parseFloat(v) >= 14) {
        expect(childText(child(rec, "Availability"), "Status"), v).toBe("1");
        // 08:00–12:00 in half hours: free, free, busy, busy, free, free, tentative, free.
        expect(childText(child(rec, "Availability"), "MergedFreeBusy"), v).toBe("00220010");
      } else expect(child(rec, "Availability")).toBeUndefined();
      if (Number.parseFloat(v) >= 14.1) expect(childText(child(rec, "Picture"), "Data"), v).toBe(PHOTO);
    }
  });

  it("a name found in the GAL and in the user's contacts is ambiguous (Status 2, then 3 when cut by MaxAmbiguousRecipients); other domains never appear; nothing found is Status 4; no free/busy for an ambiguous name (MS-ASCMD_R4623); a window under 30 minutes is Status 5 (MS-ASCMD_R2266)", async () => {
    const p = phone("16.1");
    const both = await p.command(
      "ResolveRecipients",
      r(
        "ResolveRecipients",
        r("To", "nadia"),
        r("Options", r("Availability", r("StartTime", "2027-01-15T08:00:00.000Z"), r("EndTime", "2027-01-15T09:00:00.000Z"))),
      ),
    );
    const [resp] = responses(both.tree);
    expect(childText(resp, "Status")).toBe("2");
    expect(recipients(resp).map((x) => [childText(x, "Type"), childText(x, "EmailAddress")])).toEqual([
      ["1", COLLEAGUE],
      ["2", `nadia@partner-${run}.test`],
    ]);
    expect(recipients(resp).map((x) => child(x, "Availability"))).toEqual([undefined, undefined]);
    const short = await p.command(
      "ResolveRecipients",
      r(
        "ResolveRecipients",
        r("To", COLLEAGUE),
        r("Options", r("Availability", r("StartTime", "2027-01-15T08:00:00.000Z"), r("EndTime", "2027-01-15T08:10:00.000Z"))),
      ),
    );
    expect(childText(short.tree, "Status")).toBe("5");
    expect(both.xml).not.toContain(STRANGER);
    const cut = await p.command(
      "ResolveRecipients",
      r("ResolveRecipients", r("To", "nadia"), r("Options", r("MaxAmbiguousRecipients", 1))),
    );
    expect(childText(responses(cut.tree)[0], "Status")).toBe("3");
    expect(childText(responses(cut.tree)[0], "RecipientCount")).toBe("1");
    const none = await p.command("ResolveRecipients", r("ResolveRecipients", r("To", "nobody-here")));
    expect(childText(responses(none.tree)[0], "Status")).toBe("4");
    expect(childText(responses(none.tree)[0], "RecipientCount")).toBe("0");
    const stranger = await p.command("ResolveRecipients", r("ResolveRecipients", r("To", STRANGER)));
    expect(childText(responses(stranger.tree)[0], "Status")).toBe("4");
    const bad = await p.command("ResolveRecipients", r("ResolveRecipients", r("Options")));
    expect(childText(bad.tree, "Status")).toBe("5");
  });
});

const fd = (name: string, ...c: Parameters<typeof el>[2][]) => el("Find", name, ...c);

function find(criterion: WbxmlElement): WbxmlElement {
  return fd("Find", fd("SearchId", crypto.randomUUID()), fd("ExecuteSearch", criterion));
}

describe("Find (16.1) over HTTP", () => {
  const response = (tree: WbxmlElement | undefined) => child(tree, "Response");

  it("mailbox: the same engine as Search, Find's properties, ServerId usable as is (MS-ASCMD_R10032019, MS-ASCMD_R10031958, MS-ASCMD_R10031960, MS-ASCMD_R72172508)", async () => {
    const res = await phone("16.1").command(
      "Find",
      find(
        fd(
          "MailBoxSearchCriterion",
          fd("Query", el("AirSync", "Class", "Email"), fd("FreeText", "harbour")),
          fd("Options", fd("Range", "0-9")),
        ),
      ),
    );
    expect(childText(res.tree, "Status")).toBe("1");
    const r = response(res.tree);
    expect(childText(r, "Store", "ItemOperations")).toBe("Mailbox");
    expect(childText(r, "Status")).toBe("1");
    const hits = childrenNamed(r, "Result");
    expect(hits.map((h) => childText(child(h, "Properties"), "Subject", "Email"))).toEqual([
      "Re: Harbour lease renewal",
      "Harbour lease renewal",
    ]);
    expect(childText(child(hits[1], "Properties"), "Preview")).toContain("harbour office");
    expect(childText(child(hits[1], "Properties"), "HasAttachments")).toBe("0");
    expect(childText(hits[0], "ServerId", "AirSync")).toMatch(/^1:\d+$/);
    expect(childText(r, "Range")).toBe("0-1");
    expect(childText(r, "Total")).toBe("2");
  });

  it("GAL: the caller's domain only, by display name order (MS-ASCMD_R10031994, MS-ASCMD_R132000, MS-ASCMD_R132004, MS-ASCMD_R1002501)", async () => {
    const res = await phone("16.1").command(
      "Find",
      find(fd("GalSearchCriterion", fd("Query", fd("FreeText", "nadia")), fd("Options", fd("Range", "0-9")))),
    );
    const r = response(res.tree);
    expect(childText(r, "Store", "ItemOperations")).toBe("GAL");
    const props = childrenNamed(r, "Result").map((x) => child(x, "Properties"));
    expect(props.map((p) => childText(p, "EmailAddress", "GAL"))).toEqual([COLLEAGUE]);
    expect(childText(props[0], "Alias", "GAL")).toBe("nadia.keller");
    expect(res.xml).not.toContain(STRANGER);
  });

  it("a Range not starting at 0 is Status 4, an unknown folder Status 3, a malformed request Status 2, another version HTTP 400 (MS-ASCMD_R72172517, MS-ASCMD_R72172514, MS-ASCMD_R72172511, MS-ASCMD_R10032018)", async () => {
    const p = phone("16.1");
    const range = await p.command(
      "Find",
      find(fd("MailBoxSearchCriterion", fd("Query", fd("FreeText", "harbour")), fd("Options", fd("Range", "5-9")))),
    );
    expect(childText(range.tree, "Status")).toBe("1");
    expect(childText(response(range.tree), "Status")).toBe("4");
    const folder = await p.command(
      "Find",
      find(fd("MailBoxSearchCriterion", fd("Query", el("AirSync", "CollectionId", "4242"), fd("FreeText", "harbour")))),
    );
    expect(childText(folder.tree, "Status")).toBe("3");
    const bad = await p.command("Find", fd("Find", fd("SearchId", "x")));
    expect(childText(bad.tree, "Status")).toBe("2");
    // A version without Find: the front door answers 501 like any command the version lacks (src/http/command-versions.ts).
    expect((await phone("16.0").command("Find", null, { rawBody: new Uint8Array([3, 1, 106, 0]), validate: false })).status).toBe(501);
  });
});
