// Ping through the front door (Basic auth, WBXML over HTTP) woken by the Worker's email() handler.
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import worker from "../../src/index";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, decodeWbxml, encodeWbxml, text } from "../../src/wbxml";
import { basic, plainQuery, post } from "./helpers/eas-client";
import { pingBody, waitsOpen, within } from "./push-helpers";

const USER = "erin@example.test";
const PASSWORD = "correct horse battery staple";

function emailMessage(from: string, to: string, raw: string) {
  const bytes = new TextEncoder().encode(raw);
  const rejects: string[] = [];
  const msg = {
    from,
    to,
    headers: new Headers({ subject: "hi" }),
    rawSize: bytes.length,
    raw: new Response(bytes).body!,
    setReject: (r: string) => rejects.push(r),
    forward: async () => {},
    reply: async () => {},
  } as unknown as ForwardableEmailMessage;
  return { msg, rejects };
}

it("a parked Ping answers Status 2 with the Inbox when mail arrives through email(), in well under 100 ms (MS-ASCMD_R4235, R4236)", async () => {
  await createAccount(env.DB, USER, PASSWORD);
  const body = encodeWbxml(
    pingBody(600, [
      ["1", "Email"],
      ["6", "Calendar"],
    ]),
  );
  const res = post(plainQuery("Ping", "", "phone1"), {
    auth: basic(USER, PASSWORD),
    headers: { "Content-Type": "application/vnd.ms-sync.wbxml" },
    body,
  });
  await waitsOpen(USER, 1);
  expect(await within(res, 50)).toBe("pending");

  const { msg, rejects } = emailMessage(
    "bob@example.test",
    USER,
    `From: bob@example.test\r\nTo: ${USER}\r\nSubject: hi\r\nMessage-ID: <1@example.test>\r\n\r\nhello\r\n`,
  );
  const t0 = Date.now();
  await worker.email(msg, env);
  const r = await res;
  const elapsed = Date.now() - t0;
  expect(rejects).toEqual([]);
  expect(r.status).toBe(200);
  expect(r.headers.get("Content-Type")).toBe("application/vnd.ms-sync.wbxml");
  const ping = decodeWbxml(new Uint8Array(await r.arrayBuffer()));
  expect(childText(ping, "Status")).toBe("2");
  expect(childrenNamed(child(ping, "Folders"), "Folder").map((f) => text(f))).toEqual(["1"]);
  expect(elapsed).toBeLessThan(100);
});

it("an empty-body Ping over HTTP reuses the cached parameters; a second one ends the first with Status 1", async () => {
  const first = post(plainQuery("Ping", "", "phone1"), { auth: basic(USER, PASSWORD) });
  await waitsOpen(USER, 1);
  const second = post(plainQuery("Ping", "", "phone1"), { auth: basic(USER, PASSWORD) });
  const r1 = await within(first, 1000);
  expect(r1).not.toBe("pending");
  expect(childText(decodeWbxml(new Uint8Array(await (r1 as Response).arrayBuffer())), "Status")).toBe("1");
  await waitsOpen(USER, 1);
  await env.MAILBOX.getByName(USER).endAllWaits("done");
  expect(childText(decodeWbxml(new Uint8Array(await (await second).arrayBuffer())), "Status")).toBe("1");
});
