// The email() handler under `wrangler dev`, reached the way Email Routing's local simulator reaches it.
import { expect, inject, it } from "vitest";

it("refuses mail for an address that has no mailbox (Email Routing gets the reject reason)", async () => {
  const raw =
    "From: someone@elsewhere.example\r\nTo: nobody@example.test\r\nSubject: hello\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <e2e-1@elsewhere.example>\r\n\r\nHi\r\n";
  const url = `${inject("workerUrl")}/cdn-cgi/handler/email?from=someone%40elsewhere.example&to=nobody%40example.test`;
  const res = await fetch(url, { method: "POST", body: raw });
  const text = await res.text();
  expect(res.status).toBe(400);
  expect(text).toContain("unknown mailbox");
});
