// Seeds the demo mailbox through the admin API, once: account, mail, and an active subscription.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

async function call(url, token, method, route, body, contentType = "application/json") {
  const res = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": contentType },
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined, text };
}

export async function seedDemo(url, { adminToken, address, password }) {
  const created = await call(url, adminToken, "POST", "/admin/v1/mailboxes", { address, password });
  if (created.status === 409) return { address, password, created: false };
  if (created.status !== 201) throw new Error(`POST /admin/v1/mailboxes: ${created.status} ${created.text}`);

  const box = `/admin/v1/mailboxes/${encodeURIComponent(address)}`;
  if (existsSync(path.join(here, "demo-mail.mjs"))) {
    const { demoMessages } = await import("./demo-mail.mjs");
    for (const m of await demoMessages()) {
      const r = await call(url, adminToken, "POST", `${box}/messages?arrival=date`, m.raw, "message/rfc822");
      if (r.status >= 300) throw new Error(`import ${m.name}: ${r.status} ${r.text}`);
    }
  }
  if (existsSync(path.join(here, "demo-pim.mjs"))) {
    const { demoCalendarIcs, demoContactsVcf } = await import("./demo-pim.mjs");
    for (const [file, body, type] of [
      ["calendar.ics", demoCalendarIcs(), "text/calendar"],
      ["contacts.vcf", demoContactsVcf(), "text/vcard"],
    ]) {
      const r = await call(url, adminToken, "PUT", `${box}/${file}`, body, type);
      if (r.status >= 300) throw new Error(`PUT ${file}: ${r.status} ${r.text}`);
    }
  }
  const sub = await call(url, adminToken, "POST", "/admin/v1/subscriptions", {
    mailbox: address,
    customer: { kind: "business", name: "Demo", email: address },
  });
  if (sub.status !== 201) throw new Error(`POST /admin/v1/subscriptions: ${sub.status} ${sub.text}`);
  const paid = await call(url, adminToken, "POST", `/admin/v1/subscriptions/${sub.json.id}/payments`, {
    amount: sub.json.price.amount,
    currency: sub.json.price.currency,
    reference: "demo-seed",
  });
  if (paid.status >= 300) throw new Error(`payment: ${paid.status} ${paid.text}`);
  return { address, password, created: true, subscription: sub.json.id };
}
