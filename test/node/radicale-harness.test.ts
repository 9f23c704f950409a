// The Radicale harness seen from Node (what the e2e tests of bridged mailboxes build on): the server asks
// for credentials, accepts the test account, keeps its data across a kill and restart on the same port.
import { describe, expect, inject, it } from "vitest";

const { url, controlUrl, user, password } = inject("radicale");
const auth = { Authorization: "Basic " + Buffer.from(`${user}:${password}`).toString("base64") };
const propfind = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>`;

describe("Radicale harness", () => {
  it("refuses anonymous requests and finds the test user's principal", async () => {
    expect((await fetch(`${url}/`, { method: "PROPFIND", body: propfind, headers: { Depth: "0" } })).status).toBe(401);
    const res = await fetch(`${url}/`, { method: "PROPFIND", body: propfind, headers: { Depth: "0", ...auth } });
    expect(res.status).toBe(207);
    expect(await res.text()).toContain(`<href>/${user}/</href>`);
  });

  it("kill and start again: same port, same storage", async () => {
    const mkcal = `<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"/>`;
    expect((await fetch(`${url}/${user}/harness/`, { method: "MKCALENDAR", body: mkcal, headers: auth })).status).toBe(201);
    expect((await fetch(`${controlUrl}/kill`, { method: "POST" })).status).toBe(200);
    expect((await fetch(`${controlUrl}/health`)).status).toBe(503);
    await expect(fetch(`${url}/`)).rejects.toThrow();
    expect((await fetch(`${controlUrl}/start`, { method: "POST" })).status).toBe(200);
    const res = await fetch(`${url}/${user}/harness/`, { method: "PROPFIND", body: propfind, headers: { Depth: "0", ...auth } });
    expect(res.status).toBe(207);
  });
});
