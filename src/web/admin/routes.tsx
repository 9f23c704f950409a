// The support console at /admin/: sign in with the admin token (a session cookie from then on), find a
// mailbox, act on its devices and subscription. Every read and every action is a call to the admin API.
import { Hono, type Context } from "hono";
import { tokenMatches } from "../../admin/auth";
import { DEFAULT_TRACE_MINUTES } from "../../mailbox/contract";
import { consoleClientKey, consoleSignInBudget } from "../../service/lockout";
import { formatDate } from "../i18n";
import { site, signIn, signOut, type WebEnv } from "../site";
import { AdminClient, type ApiResult, enc } from "./client";
import { HomePage, type MailboxData, MailboxPage, mailboxPath, PlainPage, SignInPage } from "./pages";

export const supportConsole = new Hono<WebEnv>();

const consoleSite = site("admin", "/admin/login", (c, status, key) =>
  c.html(
    <PlainPage
      text={
        key === "https"
          ? "The console must be opened over https."
          : key === "closed"
            ? "The console is closed: ADMIN_TOKEN is not set (wrangler secret put ADMIN_TOKEN, or .dev.vars)."
            : "Refused (missing or stale form token, or another site's form). Reload the page and try again."
      }
    />,
    status,
  ),
);
// Mounted at /admin beside the admin API (/admin/v1, src/admin/): its paths are left alone here.
supportConsole.use("*", (c, next) => (/^\/admin\/v1(\/|$)/.test(new URL(c.req.url).pathname) ? next() : consoleSite(c, next)));

const client = (c: Context<WebEnv>) => new AdminClient(c, c.get("session")!.sub);

supportConsole.get("/", (c) => {
  const s = c.get("session");
  if (!s) return c.html(<SignInPage />);
  return c.html(<HomePage csrf={c.get("csrf")} who={s.sub} />);
});

supportConsole.post("/login", async (c) => {
  const f = c.get("form");
  const expected = (c.env as Cloudflare.Env).ADMIN_TOKEN;
  if (!expected) return c.html(<SignInPage error="That is not the admin token." />, 401);
  // A budget per client address (src/service/lockout.ts): the attempt is counted before the token is checked
  // (a burst cannot outrun the count) and given back when the token is right. Over it, not even checked.
  const budget = consoleSignInBudget(c.env.DB);
  const key = consoleClientKey(c.req.header("cf-connecting-ip"));
  const lockedUntil = await budget.reserve(key);
  if (lockedUntil) {
    c.header("Retry-After", String(Math.max(1, Math.ceil((lockedUntil.getTime() - Date.now()) / 1000))));
    return c.html(
      <SignInPage error={`Too many wrong tokens from your address. Try again after ${formatDate(lockedUntil.getTime(), "en")}.`} />,
      429,
    );
  }
  if (!(await tokenMatches(f.token ?? "", expected))) return c.html(<SignInPage error="That is not the admin token." />, 401);
  await budget.release(key);
  // The name travels in a header (X-Admin-Actor) to the audit log: ASCII only, accents dropped (Zoé → Zoe).
  const name =
    (f.name ?? "")
      .normalize("NFKD")
      .replace(/[^A-Za-z0-9 ._@-]/g, "")
      .trim()
      .slice(0, 60) || "staff";
  await signIn(c, "admin", name);
  return c.redirect("/admin/", 303);
});

supportConsole.post("/logout", (c) => {
  signOut(c, "admin");
  return c.redirect("/admin/", 303);
});

// biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON (its OpenAPI schemas), read field by field for display
type J = Record<string, any>;

/** Everything the mailbox page shows, read from the admin API. Null with the API's problem when the mailbox is unknown. */
async function loadMailbox(c: Context<WebEnv>, address: string): Promise<{ data: MailboxData } | { error: ApiResult }> {
  const api = client(c);
  const base = `/mailboxes/${enc(address)}`;
  const mailbox = await api.get(base);
  if (!mailbox.ok) return { error: mailbox };
  const [devices, rules, subs, traces] = await Promise.all([
    api.get<{ devices: J[] }>(`${base}/devices`),
    api.get<{ rules: J[] }>(`${base}/device-rules`),
    api.get<{ subscriptions: J[] }>(`/subscriptions?mailbox=${enc(address)}&limit=500`),
    api.get<{ sessions: J[]; files: J[] }>(`${base}/traces`),
  ]);
  const current = (mailbox.body.subscription as J | null)?.id as string | undefined;
  const all = subs.ok ? subs.body.subscriptions : [];
  const [sub, notices, auditMbx, auditSub] = await Promise.all([
    current ? api.get(`/subscriptions/${enc(current)}`) : null,
    current ? api.get<{ notices: J[] }>(`/subscriptions/${enc(current)}/notices`) : null,
    api.get<{ entries: J[] }>(`/audit?subject=${enc(`mailbox:${address}`)}&limit=100`),
    current ? api.get<{ entries: J[] }>(`/audit?subject=${enc(`subscription:${current}`)}&limit=100`) : null,
  ]);
  const audit = [...(auditMbx.ok ? auditMbx.body.entries : []), ...(auditSub?.ok ? auditSub.body.entries : [])].sort((a, b) => b.id - a.id);
  return {
    data: {
      address,
      mailbox: mailbox.body,
      devices: devices.ok ? devices.body.devices : [],
      rules: rules.ok ? rules.body.rules : [],
      traces: traces.ok ? traces.body : { sessions: [], files: [] },
      subscription: sub?.ok ? sub.body : null,
      notices: notices?.ok ? notices.body.notices : [],
      history: all.filter((x) => x.id !== current).sort((a, b) => String(b.ordered_at).localeCompare(String(a.ordered_at))),
      audit,
    },
  };
}

const DONE: Record<string, string> = {
  block: "The device is blocked.",
  allow: "The device is allowed.",
  release: "The device is released from quarantine.",
  "forget-rule": "The device's own rule is removed; the mailbox's and global rules apply.",
  wipe: "Remote wipe requested: sent on the device's next connection.",
  "wipe-account": "Account-only wipe requested: sent on the device's next connection.",
  "cancel-wipe": "The wipe is cancelled.",
  remove: "The partnership is removed.",
  "trace-start": "Tracing started: the device's next exchanges are stored.",
  "trace-stop": "Tracing stopped; what was stored stays until its retention ends.",
  check: "Eligibility checked.",
  suspend: "The subscription is suspended.",
  resume: "The subscription is resumed.",
  notice: "The notice is recorded.",
  answer: "The answer is recorded.",
};

async function renderMailbox(
  c: Context<WebEnv>,
  address: string,
  extra: { done?: string | null; error?: string | null; status?: number } = {},
) {
  const s = c.get("session")!;
  const loaded = await loadMailbox(c, address);
  if ("error" in loaded) {
    const e = loaded.error;
    return c.html(
      <HomePage csrf={c.get("csrf")} who={s.sub} error={e.status === 404 ? `No mailbox ${address}.` : (e.problem ?? "Error")} />,
      e.status === 404 || e.status === 400 ? e.status : 502,
    );
  }
  return c.html(
    <MailboxPage csrf={c.get("csrf")} who={s.sub} data={loaded.data} done={extra.done} error={extra.error} />,
    (extra.status ?? 200) as 200,
  );
}

supportConsole.get("/mailbox", async (c) => {
  if (!c.get("session")) return c.redirect("/admin/", 303);
  const address = (c.req.query("address") ?? "").trim().toLowerCase().slice(0, 320);
  if (!address) return c.redirect("/admin/", 303);
  const done = c.req.query("done");
  return renderMailbox(c, address, { done: done ? (DONE[done] ?? null) : null });
});

/** After an action: back to the page (POST → redirect → GET), or the page again with the API's refusal. */
async function after(c: Context<WebEnv>, address: string, op: string, results: ApiResult[]) {
  const failed = results.find((r) => !r.ok);
  if (failed) return renderMailbox(c, address, { error: failed.problem, status: failed.status >= 500 ? 502 : failed.status });
  return c.redirect(`${mailboxPath(address)}&done=${enc(op)}`, 303);
}

supportConsole.post("/device", async (c) => {
  const f = c.get("form");
  const address = (f.address ?? "").trim().toLowerCase();
  const device = f.device ?? "";
  const op = f.op ?? "";
  const api = client(c);
  const base = `/mailboxes/${enc(address)}`;
  const dev = `${base}/devices/${enc(device)}`;
  const results: ApiResult[] = [];
  // Block / allow / release: the device's own DeviceId rule (the most specific kind) is replaced.
  const setRule = async (access: "allowed" | "blocked" | null) => {
    const rules = await api.get<{ rules: J[] }>(`${base}/device-rules`);
    if (!rules.ok) return results.push(rules);
    for (const r of rules.body.rules.filter((r) => r.kind === "device-id" && String(r.pattern).toLowerCase() === device.toLowerCase()))
      results.push(await api.call("DELETE", `${base}/device-rules/${enc(r.id)}`));
    if (access)
      results.push(
        await api.call("POST", `${base}/device-rules`, {
          kind: "device-id",
          pattern: device,
          access,
          note: `support console (${c.get("session")!.sub})`,
        }),
      );
  };
  switch (op) {
    case "block":
      await setRule("blocked");
      break;
    case "allow":
    case "release":
      await setRule("allowed");
      break;
    case "forget-rule":
      await setRule(null);
      break;
    case "wipe":
    case "wipe-account":
      results.push(await api.call("POST", `${dev}/wipe`, { account_only: op === "wipe-account" }));
      break;
    case "cancel-wipe":
      results.push(await api.call("DELETE", `${dev}/wipe`));
      break;
    case "remove":
      results.push(await api.call("DELETE", dev));
      break;
    case "trace-start": {
      const minutes = Number(f.minutes || DEFAULT_TRACE_MINUTES);
      const full = f.full_bodies === "on";
      results.push(
        await api.call("POST", `${base}/traces`, {
          device_id: device,
          minutes: Number.isInteger(minutes) ? minutes : DEFAULT_TRACE_MINUTES,
          full_bodies: full,
          ...(f.reason?.trim() ? { reason: f.reason.trim() } : {}),
        }),
      );
      break;
    }
    case "trace-stop":
      results.push(await api.call("DELETE", `${base}/traces?device_id=${enc(device)}`));
      break;
    default:
      return c.html(<PlainPage text={`Unknown action ${op}.`} />, 400);
  }
  return after(c, address, op, results);
});

/** One stored trace file, downloaded through the admin API (text shown in the browser, WBXML saved). */
supportConsole.get("/trace", async (c) => {
  if (!c.get("session")) return c.redirect("/admin/", 303);
  const address = (c.req.query("address") ?? "").trim().toLowerCase().slice(0, 320);
  const key = (c.req.query("key") ?? "").slice(0, 600);
  const res = await client(c).raw("GET", `/mailboxes/${enc(address)}/traces/file?key=${enc(key)}`);
  if (!res.ok)
    return c.html(
      <PlainPage text={res.status === 404 ? "No such trace file (expired?)." : `HTTP ${res.status}`} />,
      res.status === 404 ? 404 : 502,
    );
  const name = (key.split("/").pop() ?? "trace").replace(/[^A-Za-z0-9._-]/g, "_");
  const text = !name.endsWith(".wbxml");
  return c.body(res.body as ReadableStream, 200, {
    "Content-Type": text ? "text/plain; charset=utf-8" : "application/vnd.ms-sync.wbxml",
    "Content-Disposition": `${text ? "inline" : "attachment"}; filename="${name}"`,
  });
});

supportConsole.post("/subscription", async (c) => {
  const f = c.get("form");
  const address = (f.address ?? "").trim().toLowerCase();
  const id = enc(f.sub ?? "");
  const op = f.op ?? "";
  const api = client(c);
  const who = c.get("session")!.sub;
  let r: ApiResult;
  switch (op) {
    case "check":
      r = await api.call("POST", `/subscriptions/${id}/eligibility-check`);
      break;
    case "suspend":
      r = await api.call("POST", `/subscriptions/${id}/suspend`, {
        reason: f.reason === "eligibility" ? "eligibility" : "other",
        evidence: { note: (f.note ?? "").trim(), by: `console:${who}` },
      });
      break;
    case "resume":
      r = await api.call("POST", `/subscriptions/${id}/resume`, { why: (f.why ?? "").trim() || "lifted by staff" });
      break;
    case "notice":
      r = await api.call("POST", `/subscriptions/${id}/notices`, {
        from: { name: f.from_name ?? "", email: f.from_email ?? "" },
        description: f.description ?? "",
        evidence: f.evidence ?? "",
      });
      break;
    case "answer":
      r = await api.call("POST", `/notices/${enc(f.notice ?? "")}/answers`, {
        answer: f.answer ?? "",
        ...(f.documentation?.trim() ? { compliance_documentation: f.documentation } : {}),
      });
      break;
    default:
      return c.html(<PlainPage text={`Unknown action ${op}.`} />, 400);
  }
  return after(c, address, op, [r]);
});
