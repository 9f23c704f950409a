// The domain's address book (GAL): what the service knows on a domain (accounts, mailboxes) plus the admin's
// entries (admin API), searched by word prefix, and strictly limited to the caller's own domain.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { D1GalDirectory } from "../../src/service/gal";

const BASE = "https://mail.example.test/admin/v1";
const run = crypto.randomUUID().slice(0, 6);
const ACME = `acme-${run}.test`;
const OTHER = `other-${run}.test`;
const LOOKALIKE = `evil${ACME}`; // ends like ACME: must not count as ACME

async function api(method: string, path: string, body?: unknown) {
  const res = await exports.default.fetch(
    new Request(BASE + path, {
      method,
      headers: { authorization: "Bearer test-admin-token", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const PHOTO = btoa(String.fromCharCode(...new Uint8Array(600).map((_, i) => i % 256)));

beforeAll(async () => {
  for (const a of [`ann@${ACME}`, `bob@${ACME}`, `jose@${ACME}`, `ann@${OTHER}`, `annie@${LOOKALIKE}`])
    expect((await api("POST", "/mailboxes", { address: a, password: "gal test password" })).status).toBe(201);
  expect(
    (
      await api("PUT", `/gal/ann@${ACME}`, {
        displayName: "Ann Lee",
        firstName: "Ann",
        lastName: "Lee",
        phone: "+33 1 23 45 67 89",
        mobilePhone: "+33 6 00 00 00 01",
        title: "Buyer",
        company: "Acme",
        office: "Lyon 2",
        aliases: [`purchasing@${ACME}`],
        photo: PHOTO,
      })
    ).status,
  ).toBe(200);
  expect((await api("PUT", `/gal/jose@${ACME}`, { displayName: "José Martín" })).status).toBe(200);
  // An address without a mailbox, only in the address book.
  expect((await api("PUT", `/gal/frontdesk@${ACME}`, { displayName: "Front Desk", phone: "+33 1 00 00 00 00" })).status).toBe(200);
  expect((await api("PUT", `/gal/ann@${OTHER}`, { displayName: "Ann Other" })).status).toBe(200);
});

describe("GAL (service/gal.ts)", () => {
  const acme = () => new D1GalDirectory(env.DB, `bob@${ACME}`);

  it("finds by prefix of first, last or display name, alias address or address (MS-ASCMD_R421, MS-ASCMD_R422, MS-ASCMD_R425)", async () => {
    const byName = await acme().search("an", 0, 10);
    expect(byName.entries.map((e) => e.address)).toEqual([`ann@${ACME}`]);
    expect(byName.entries[0]).toMatchObject({
      displayName: "Ann Lee",
      firstName: "Ann",
      lastName: "Lee",
      alias: "ann",
      title: "Buyer",
      company: "Acme",
      office: "Lyon 2",
      mobilePhone: "+33 6 00 00 00 01",
      photo: PHOTO,
    });
    expect((await acme().search("Ann L.", 0, 10)).entries.map((e) => e.displayName)).toEqual(["Ann Lee"]);
    expect((await acme().search("purch", 0, 10)).entries.map((e) => e.address)).toEqual([`ann@${ACME}`]);
    expect((await acme().search("jose mart", 0, 10)).entries.map((e) => e.displayName)).toEqual(["José Martín"]);
    expect((await acme().search("front", 0, 10)).entries.map((e) => e.address)).toEqual([`frontdesk@${ACME}`]);
    // A mailbox without details is listed under its address.
    expect((await acme().search("bob", 0, 10)).entries).toEqual([
      { address: `bob@${ACME}`, displayName: `bob@${ACME}`, alias: "bob", mailbox: true },
    ]);
    expect((await acme().search("zz", 0, 10)).total).toBe(0);
    expect((await acme().search("*%_", 0, 10)).total).toBe(0);
  });

  it("never shows another domain's addresses, not even a domain that ends the same way", async () => {
    const all = (await acme().search(ACME.split(".")[0]!, 0, 100)).entries.map((e) => e.address);
    expect(all.sort()).toEqual([`ann@${ACME}`, `bob@${ACME}`, `frontdesk@${ACME}`, `jose@${ACME}`]);
    expect((await acme().search("other", 0, 10)).total).toBe(0);
    expect((await acme().search("annie", 0, 10)).total).toBe(0);
    const other = await new D1GalDirectory(env.DB, `ann@${OTHER}`).search("ann", 0, 10);
    expect(other.entries.map((e) => [e.address, e.displayName])).toEqual([[`ann@${OTHER}`, "Ann Other"]]);
    const look = await new D1GalDirectory(env.DB, `annie@${LOOKALIKE}`).search("ann", 0, 10);
    expect(look.entries.map((e) => e.address)).toEqual([`annie@${LOOKALIKE}`]);
  });

  it("pages: offset and limit, with the total", async () => {
    const page = await acme().search(ACME.split(".")[0]!, 1, 2);
    expect(page.total).toBe(4);
    expect(page.entries).toHaveLength(2);
  });
});

describe("admin API /gal", () => {
  it("lists a domain's book, refuses aliases of another domain and oversized photos, deletes details", async () => {
    const list = await api("GET", `/domains/${ACME}/gal`);
    expect(list.status).toBe(200);
    expect(list.json.entries.map((e: { address: string }) => e.address)).toEqual([
      `ann@${ACME}`,
      `bob@${ACME}`,
      `frontdesk@${ACME}`,
      `jose@${ACME}`,
    ]);
    expect((await api("PUT", `/gal/bob@${ACME}`, { aliases: [`bob@${OTHER}`] })).status).toBe(400);
    const big = btoa("x".repeat(101 * 1024));
    expect((await api("PUT", `/gal/bob@${ACME}`, { photo: big })).status).toBe(400);
    // Characters of base64 that do not make base64 (a length of 4n + 1): a 400, not the decoder's exception as a 500.
    for (const photo of ["A", "AAAAA", "AB=C"]) expect((await api("PUT", `/gal/bob@${ACME}`, { photo })).status).toBe(400);
    expect((await api("DELETE", `/gal/frontdesk@${ACME}`)).status).toBe(204);
    expect((await api("DELETE", `/gal/frontdesk@${ACME}`)).status).toBe(404);
    expect((await new D1GalDirectory(env.DB, `bob@${ACME}`).search("front", 0, 10)).total).toBe(0);
    const spec = await api("GET", "/openapi.json");
    expect(Object.keys(spec.json.paths)).toEqual(expect.arrayContaining(["/gal/{address}", "/domains/{domain}/gal"]));
  });
});
