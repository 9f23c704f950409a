// Seeds the demo mailbox through the admin API: account, mail, calendar and contacts, an active subscription.
// Resumable and idempotent: every step checks what is already there, so a first `npm start` stopped at any
// instant (Ctrl-C, a crash) is finished by the next one, and a finished seed is never run again.
//   account       POST /mailboxes; a 409 means it exists (the repeated POST also completes a half-created one)
//   mail          imports keep one copy per Message-ID and folder: re-importing all 26 doubles nothing
//   calendar etc. PUT replaces the collection, matched by UID
//   subscription  the order is placed once (any subscription of the mailbox counts); an unpaid one is paid
//                 with the same reference ("demo-seed", payments are idempotent by reference), which also
//                 re-sends the state to the mailbox object when the first payment died before it did
// The seed is done when the mailbox has a subscription that is not awaiting payment and the mailbox object
// holds the same state: later starts then touch nothing (the user's deletions stay deleted).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const PAYMENT_REFERENCE = "demo-seed";

/**
 * @param {string} url the Worker's origin
 * @param {{ adminToken: string, address: string, password: string, fetch?: typeof fetch,
 *           messages?: () => Promise<{ name: string, raw: Uint8Array }[]> | { name: string, raw: Uint8Array }[] }} opts
 * `fetch` is injected by tests (to interrupt the seed after a given request); `messages` replaces the demo mail.
 * @returns {Promise<{ address: string, password: string, created: boolean, resumed: boolean, subscription?: string }>}
 */
export async function seedDemo(url, { adminToken, address, password, fetch: fetchFn = fetch, messages }) {
  const call = async (method, route, body, contentType = "application/json") => {
    const res = await fetchFn(url + route, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": contentType },
      body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
    });
    const text = await res.text();
    return { status: res.status, json: text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined, text };
  };
  const box = `/admin/v1/mailboxes/${encodeURIComponent(address)}`;

  const created = await call("POST", "/admin/v1/mailboxes", { address, password });
  if (created.status !== 201 && created.status !== 409) throw new Error(`POST /admin/v1/mailboxes: ${created.status} ${created.text}`);
  if (created.status === 409) {
    const state = await seedState(call, box, address);
    if (state.done) return { address, password, created: false, resumed: false };
  }

  const list = messages ?? (existsSync(path.join(here, "demo-mail.mjs")) ? (await import("./demo-mail.mjs")).demoMessages : () => []);
  for (const m of await list()) {
    const r = await call("POST", `${box}/messages?arrival=date`, m.raw, "message/rfc822");
    if (r.status >= 300) throw new Error(`import ${m.name}: ${r.status} ${r.text}`);
  }
  if (existsSync(path.join(here, "demo-pim.mjs"))) {
    const { demoCalendarIcs, demoContactsVcf } = await import("./demo-pim.mjs");
    for (const [file, body, type] of [
      ["calendar.ics", demoCalendarIcs(), "text/calendar"],
      ["contacts.vcf", demoContactsVcf(), "text/vcard"],
    ]) {
      const r = await call("PUT", `${box}/${file}`, body, type);
      if (r.status >= 300) throw new Error(`PUT ${file}: ${r.status} ${r.text}`);
    }
  }

  let { subscription } = await seedState(call, box, address);
  if (!subscription) {
    const sub = await call("POST", "/admin/v1/subscriptions", {
      mailbox: address,
      customer: { kind: "business", name: "Demo", email: address },
    });
    if (sub.status !== 201) throw new Error(`POST /admin/v1/subscriptions: ${sub.status} ${sub.text}`);
    subscription = sub.json;
  }
  const paid = await call("POST", `/admin/v1/subscriptions/${subscription.id}/payments`, {
    amount: subscription.price.amount,
    currency: subscription.price.currency,
    reference: PAYMENT_REFERENCE,
  });
  if (paid.status >= 300) throw new Error(`payment: ${paid.status} ${paid.text}`);
  return { address, password, created: created.status === 201, resumed: created.status === 409, subscription: subscription.id };
}

/** Where the seed of `address` stands: its latest subscription (any status) and whether nothing is left to do. */
async function seedState(call, box, address) {
  const subs = await call("GET", `/admin/v1/subscriptions?mailbox=${encodeURIComponent(address)}&limit=500`);
  if (subs.status !== 200) throw new Error(`GET /admin/v1/subscriptions: ${subs.status} ${subs.text}`);
  const subscription = subs.json.subscriptions.at(-1);
  if (!subscription || subscription.status === "pending_payment") return { subscription, done: false };
  // Paid in D1; the mailbox object's copy (what devices are gated on) must say so too.
  const mbx = await call("GET", box);
  if (mbx.status !== 200) throw new Error(`GET ${box}: ${mbx.status} ${mbx.text}`);
  const gate = mbx.json.device_gate_state;
  const done = gate?.subscriptionId === subscription.id && gate.status === subscription.status;
  return { subscription, done };
}
