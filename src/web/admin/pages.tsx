// Support console pages. Everything shown comes from the admin API's JSON (see ./client.ts); the shapes
// below are the fields the pages read from it.
import type { Child } from "hono/jsx";
import { formatMoney } from "../../formats/money";
import { explainCondition } from "../explain";
import { formatDate } from "../i18n";
import { Message, Page, PostForm } from "../layout";

// biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON (its OpenAPI schemas), read field by field for display
type J = Record<string, any>;
const LOCALE = "en-GB";
const date = (x: unknown) => formatDate(typeof x === "string" || typeof x === "number" ? x : null, "en");
const money = (amount: unknown, currency: unknown) =>
  typeof amount === "number" && typeof currency === "string" ? formatMoney(amount, currency, LOCALE) : "—";
export const mailboxPath = (address: string) => `/admin/mailbox?address=${encodeURIComponent(address)}`;

function Nav(props: { csrf: string; who: string }) {
  return (
    <div style="display:flex;gap:1rem;align-items:center;flex-wrap:wrap">
      <span class="who">Signed in as {props.who}</span>
      <PostForm action="/admin/logout" csrf={props.csrf}>
        <button type="submit" class="secondary">
          Sign out
        </button>
      </PostForm>
    </div>
  );
}

const TITLE = "Mobile Sync — support console";

export function SignInPage(props: { error?: string | null }) {
  return (
    <Page lang="en" title={TITLE} heading={TITLE}>
      <section class="card" aria-labelledby="signin">
        <h2 id="signin">Sign in</h2>
        <Message kind="err" text={props.error} />
        <form method="post" action="/admin/login">
          <label for="name">Your name (shown in the audit log)</label>
          <input id="name" name="name" type="text" autocomplete="name" maxlength={60} />
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required />
          <div>
            <button type="submit">Sign in</button>
          </div>
        </form>
      </section>
    </Page>
  );
}

function Search(props: { value?: string }) {
  return (
    <search>
      <form
        method="get"
        action="/admin/mailbox"
        class="card"
        style="background:#fff;padding:1rem;border:1px solid #d0d5dd;border-radius:8px"
      >
        <label for="q">Find a mailbox by address</label>
        <input id="q" name="address" type="search" inputmode="email" value={props.value ?? ""} placeholder="name@domain" required />
        <button type="submit">Find</button>
      </form>
    </search>
  );
}

export function HomePage(props: { csrf: string; who: string; error?: string | null }) {
  return (
    <Page lang="en" title={TITLE} heading={TITLE} nav={<Nav csrf={props.csrf} who={props.who} />}>
      <Message kind="err" text={props.error} />
      <Search />
    </Page>
  );
}

export function PlainPage(props: { text: string; status?: string }) {
  return (
    <Page lang="en" title={TITLE} heading={TITLE}>
      <Message kind="err" text={props.text} />
      <p>
        <a href="/admin/">Support console</a>
      </p>
    </Page>
  );
}

/**
 * A scrollable table with a caption and column headers (every table of the console has this shape). The box
 * scrolls sideways on a narrow screen, so it takes the keyboard focus (WCAG 2.1.1) and is a named region.
 */
function DataTable(props: { caption: Child; label?: string; columns: string[]; children?: Child }) {
  return (
    <section class="scroll" tabindex={0} aria-label={props.label ?? (typeof props.caption === "string" ? props.caption : "Table")}>
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </section>
  );
}

function Badge(props: { status: string }) {
  const s = props.status;
  const kind = ["ok", "active", "allowed", "provisioned", "paid", "confirmed"].includes(s)
    ? "ok"
    : ["lost", "suspended", "blocked", "expired", "terminated", "failed"].includes(s)
      ? "bad"
      : ["unknown", "quarantined", "grace", "pending_payment", "open", "pending"].includes(s)
        ? "warn"
        : "neutral";
  return <span class={`badge ${kind}`}>{s.replaceAll("_", " ")}</span>;
}

export interface MailboxData {
  address: string;
  mailbox: J;
  devices: J[];
  rules: J[];
  /** GET /mailboxes/{address}/traces: trace sessions ("*" = every device) and stored files, oldest first. */
  traces: { sessions: J[]; files: J[] };
  subscription: J | null;
  notices: J[];
  history: J[];
  audit: J[];
}

/** Device actions: name → [label, confirmation or null, style]. */
const DEVICE_ACTIONS: Record<string, [string, string | null, string]> = {
  block: ["Block", null, "danger"],
  allow: ["Allow", null, ""],
  release: ["Release from quarantine", null, ""],
  "forget-rule": ["Remove this device's rule", null, "secondary"],
  wipe: ["Remote wipe (whole phone)", "Erase the whole phone on its next connection?", "danger"],
  "wipe-account": ["Account-only wipe", "Remove this account from the phone on its next connection?", "danger"],
  "cancel-wipe": ["Cancel wipe", null, "secondary"],
  remove: ["Remove partnership", "Forget this device? It starts afresh on its next connection.", "secondary"],
};

/** Exchanges shown per device (newest first); older ones stay downloadable through the admin API. */
const TRACE_ROWS = 20;
const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

/** The device's protocol traces (src/admin/traces-routes.ts): switch on or off, and the stored exchanges. */
function Traces(props: { d: J; i: number; traces: MailboxData["traces"]; csrf: string; address: string }) {
  const { d, i, csrf, address } = props;
  const own = props.traces.sessions.find((s) => s.target === d.device_id);
  const active = props.traces.sessions.filter((s) => s.active && (s.target === d.device_id || s.target === "*"));
  const exchanges = new Map<string, { at: string; cmd: string; status: number; parts: J[] }>();
  for (const f of props.traces.files.filter((f) => f.device_id === d.device_id)) {
    const x = exchanges.get(f.request_id) ?? { at: f.at, cmd: f.cmd, status: f.http_status, parts: [] as J[] };
    x.parts.push(f);
    exchanges.set(f.request_id, x);
  }
  const rows = [...exchanges.values()].sort((a, b) => b.at.localeCompare(a.at));
  const hidden = (op: string) => (
    <>
      <input type="hidden" name="address" value={address} />
      <input type="hidden" name="device" value={d.device_id} />
      <input type="hidden" name="op" value={op} />
    </>
  );
  return (
    <details data-traces={d.device_id}>
      <summary>
        Protocol traces ({active.length ? "on" : "off"}, {rows.length} stored)
      </summary>
      {active.map((s) => (
        <p>
          Tracing {s.target === "*" ? "every device of the mailbox" : "this device"} until {date(s.until)}
          {s.full_bodies ? ", with full bodies" : ""}: {s.entries} exchanges, {kib(s.bytes)} of {kib(s.max_bytes)}
          {s.dropped ? `, ${s.dropped} dropped (cap reached)` : ""}.
        </p>
      ))}
      {own?.active ? (
        <PostForm action="/admin/device" csrf={csrf}>
          {hidden("trace-stop")}
          <button type="submit" class="secondary">
            Stop tracing
          </button>
        </PostForm>
      ) : (
        <PostForm action="/admin/device" csrf={csrf}>
          {hidden("trace-start")}
          <label for={`tr-min-${i}`}>Minutes (at most 1440)</label>
          <input id={`tr-min-${i}`} name="minutes" type="number" min={1} max={1440} value="60" required />
          <label for={`tr-full-${i}`}>
            <input id={`tr-full-${i}`} name="full_bodies" type="checkbox" /> Keep mail bodies and passwords (needs a reason)
          </label>
          <label for={`tr-why-${i}`}>Reason (kept in the audit log)</label>
          <input id={`tr-why-${i}`} name="reason" type="text" maxlength={500} />
          <div>
            <button type="submit">Start tracing</button>
          </div>
        </PostForm>
      )}
      {rows.length ? (
        <DataTable
          caption={`Stored exchanges (newest ${Math.min(rows.length, TRACE_ROWS)} of ${rows.length})`}
          columns={["When", "Command", "HTTP", "Files"]}
        >
          {rows.slice(0, TRACE_ROWS).map((x) => (
            <tr>
              <td>{`${String(x.at).slice(0, 19).replace("T", " ")} UTC`}</td>
              <td>{x.cmd}</td>
              <td>{x.status}</td>
              <td>
                {x.parts
                  .sort((a, b) => (a.part === "text" ? -1 : b.part === "text" ? 1 : 0))
                  .map((p) => (
                    <>
                      <a href={`/admin/trace?address=${encodeURIComponent(address)}&key=${encodeURIComponent(p.key)}`}>
                        {p.part === "text" ? "text" : p.part}
                      </a>{" "}
                    </>
                  ))}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p class="muted">Nothing stored.</p>
      )}
    </details>
  );
}

function DeviceRow(props: { d: J; i: number; rule: J | undefined; traces: MailboxData["traces"]; csrf: string; address: string }) {
  const { d, rule } = props;
  const wipeDone = d.wipe?.state === "acknowledged" || d.wipe?.state === "account-only-acknowledged";
  const actions = [
    d.access?.state !== "blocked" ? "block" : null,
    d.access?.state === "quarantined" ? "release" : d.access?.state === "blocked" ? "allow" : null,
    rule ? "forget-rule" : null,
    d.wipe?.state === "none" ? "wipe" : null,
    d.wipe?.state === "none" && d.protocol_version === "16.1" ? "wipe-account" : null,
    d.wipe?.state !== "none" && !wipeDone ? "cancel-wipe" : null,
    "remove",
  ].filter((x): x is string => x !== null);
  const label = d.friendly_name || d.model || d.device_type;
  return (
    <article class="card" aria-label={`Device ${label}`} data-device={d.device_id}>
      <h3>
        {label} <Badge status={d.access?.state ?? "unknown"} />
      </h3>
      <dl class="facts">
        <dt>Device ID</dt>
        <dd>
          <code>{d.device_id}</code>
        </dd>
        <dt>Type / model</dt>
        <dd>
          {d.device_type} / {d.model ?? "—"}
        </dd>
        <dt>OS</dt>
        <dd>{[d.os, d.os_language].filter(Boolean).join(", ") || "—"}</dd>
        <dt>User agent</dt>
        <dd>{d.user_agent ?? "—"}</dd>
        <dt>Last sync</dt>
        <dd>{date(d.last_seen)}</dd>
        <dt>First seen</dt>
        <dd>{date(d.first_seen)}</dd>
        <dt>Protocol</dt>
        <dd>EAS {d.protocol_version}</dd>
        <dt>Policy</dt>
        <dd>
          {d.policy?.state ?? "—"}
          {d.policy?.acked_at ? ` (acknowledged ${date(d.policy.acked_at)})` : ""}
        </dd>
        <dt>Access</dt>
        <dd>
          {d.access?.state} (by {d.access?.by}){rule ? ` — device rule: ${rule.access}` : ""}
        </dd>
        <dt>Wipe</dt>
        <dd>
          {d.wipe?.state ?? "none"}
          {d.wipe?.requested_at ? `, requested ${date(d.wipe.requested_at)}` : ""}
          {d.wipe?.acked_at ? `, acknowledged ${date(d.wipe.acked_at)}` : ""}
        </dd>
        <dt>Quirks</dt>
        <dd data-quirks>
          {(d.quirks as J[] | undefined)?.length ? (
            <ul style="margin:0;padding-left:1.1rem">
              {(d.quirks as J[]).map((q) => (
                <li>
                  <code>{q.id}</code>: {q.behaviour}
                </li>
              ))}
            </ul>
          ) : (
            "none"
          )}
        </dd>
        {d.phone_number || d.mobile_operator || d.imei ? (
          <>
            <dt>Phone</dt>
            <dd>{[d.phone_number, d.mobile_operator, d.imei ? `IMEI ${d.imei}` : null].filter(Boolean).join(" · ")}</dd>
          </>
        ) : null}
      </dl>
      <div>
        {actions.map((a) => {
          const [text, confirm, cls] = DEVICE_ACTIONS[a]!;
          return (
            <PostForm action="/admin/device" csrf={props.csrf} class="inline" confirm={confirm ?? undefined}>
              <input type="hidden" name="address" value={props.address} />
              <input type="hidden" name="device" value={d.device_id} />
              <input type="hidden" name="op" value={a} />
              <button type="submit" class={cls}>
                {text}
              </button>
            </PostForm>
          );
        })}
      </div>
      <Traces d={d} i={props.i} traces={props.traces} csrf={props.csrf} address={props.address} />
    </article>
  );
}

/** What the check saw and what it expected, per condition, from its evidence (src/service/eligibility.ts). */
function seenExpected(condition: string, ev: J): { seen: string; expected: string } {
  const list = (x: unknown) => (Array.isArray(x) && x.length ? x.join(", ") : "none");
  switch (condition) {
    case "domain_held": {
      const r = ev.rdap ?? {};
      const own = ev.ownRecord;
      const seen = [
        own ? `own record ${own.status}${own.expiresAt ? `, expires ${own.expiresAt.slice(0, 10)}` : ""}` : "no own record",
        r.notFound
          ? "RDAP: no such domain"
          : r.error
            ? `RDAP error: ${r.error}`
            : `RDAP registrar ${r.registrar?.name ?? "?"} (IANA ${r.registrar?.ianaId ?? "?"})${r.expiresAt ? `, expires ${String(r.expiresAt).slice(0, 10)}` : ""}`,
      ];
      return { seen: seen.join("; "), expected: `registrar ${ev.expectedRegistrar ?? "?"}, own record active` };
    }
    case "address_exists":
      return {
        seen: `account ${ev.account ?? "?"}${ev.onDomain === false ? ", not on the domain" : ""}`,
        expected: "account present on the domain",
      };
    case "provider_dns":
      return { seen: ev.error ? `lookup failed: ${ev.error}` : `NS ${list(ev.ns)}`, expected: `NS ${list(ev.expected)}` };
    case "mx_pop3": {
      const mx = ev.mx ?? {};
      const pop = ev.pop3 ?? {};
      const popSeen = pop.error
        ? `lookup failed: ${pop.error}`
        : pop.cname
          ? `CNAME ${pop.cname}`
          : pop.a
            ? `A ${list(pop.a)} (provider: ${list(pop.providerA)})`
            : (pop.lost ?? "?");
      return {
        seen: `MX ${mx.error ? `lookup failed: ${mx.error}` : list(mx.hosts)}; ${pop.name ?? "pop3"}: ${popSeen}`,
        expected: `MX ${list(ev.expectedMx)}; ${pop.name ?? "pop3"} → ${ev.expectedPop3 ?? "?"}`,
      };
    }
    default:
      return { seen: "—", expected: "—" };
  }
}

function Eligibility(props: { sub: J }) {
  const e = props.sub.eligibility as Record<string, J> | null;
  if (!e) return <p>No eligibility check yet.</p>;
  return (
    <DataTable
      label="The four conditions of eligibility"
      caption={
        <>
          The four conditions of §3 — last check {date(props.sub.eligibility_check?.checked_at)} ({props.sub.eligibility_check?.outcome})
        </>
      }
      columns={["Condition", "Result", "Seen", "Expected", "Checked"]}
    >
      {["domain_held", "address_exists", "provider_dns", "mx_pop3"].map((k) => {
        const r = e[k];
        if (!r)
          return (
            <tr>
              <th scope="row">{k}</th>
              <td colspan={4}>not checked</td>
            </tr>
          );
        const se = seenExpected(k, (r.evidence ?? {}) as J);
        return (
          <tr data-condition={k}>
            <th scope="row">
              {explainCondition(k, r.evidence, "en").title}
              <div class="muted">
                <code>{k}</code>
              </div>
            </th>
            <td>
              <Badge status={r.status} />
            </td>
            <td>
              {se.seen}
              <details>
                <summary>evidence</summary>
                <pre>{JSON.stringify(r.evidence, null, 2)}</pre>
              </details>
            </td>
            <td>{se.expected}</td>
            <td>{date(r.checked_at)}</td>
          </tr>
        );
      })}
    </DataTable>
  );
}

function SubscriptionActions(props: { sub: J; csrf: string; address: string }) {
  const { sub, csrf, address } = props;
  const hidden = (
    <>
      <input type="hidden" name="address" value={address} />
      <input type="hidden" name="sub" value={sub.id} />
    </>
  );
  return (
    <div class="grid">
      <PostForm action="/admin/subscription" csrf={csrf}>
        {hidden}
        <input type="hidden" name="op" value="check" />
        <h3>Check eligibility now</h3>
        <p class="muted">Runs the four checks; suspends or lifts as the sweep would.</p>
        <button type="submit">Check now</button>
      </PostForm>
      {sub.status === "active" || sub.status === "suspended" ? (
        <PostForm action="/admin/subscription" csrf={csrf} confirm="Suspend this subscription? Its phones are refused at once.">
          {hidden}
          <input type="hidden" name="op" value="suspend" />
          <h3>Suspend</h3>
          <label for="suspend-reason">Reason</label>
          <select id="suspend-reason" name="reason">
            <option value="other">other (explain below)</option>
            <option value="eligibility">eligibility (§3)</option>
          </select>
          <label for="suspend-note">Explanation (the customer sees it)</label>
          <textarea id="suspend-note" name="note" required maxlength={1000} />
          <button type="submit" class="danger">
            Suspend
          </button>
        </PostForm>
      ) : null}
      {sub.status === "suspended" ? (
        <PostForm action="/admin/subscription" csrf={csrf}>
          {hidden}
          <input type="hidden" name="op" value="resume" />
          <h3>Resume</h3>
          <label for="resume-why">Why (for the audit log)</label>
          <textarea id="resume-why" name="why" required maxlength={1000} />
          <button type="submit">Resume</button>
        </PostForm>
      ) : null}
    </div>
  );
}

function Notices(props: { notices: J[]; sub: J; csrf: string; address: string }) {
  return (
    <>
      {props.notices.length ? (
        props.notices.map((n) => (
          <article class="card">
            <h3>
              Notice from {n.from?.name} &lt;{n.from?.email}&gt; — {date(n.received_at)}
            </h3>
            <p>{n.description}</p>
            {n.evidence ? <pre>{n.evidence}</pre> : null}
            <p class="muted">Recorded by {n.recorded_by}</p>
            <details>
              <summary>Record the customer's answer</summary>
              <PostForm action="/admin/subscription" csrf={props.csrf}>
                <input type="hidden" name="address" value={props.address} />
                <input type="hidden" name="sub" value={props.sub.id} />
                <input type="hidden" name="notice" value={n.id} />
                <input type="hidden" name="op" value="answer" />
                <label for={`a-${n.id}`}>Answer</label>
                <textarea id={`a-${n.id}`} name="answer" required maxlength={4000} />
                <label for={`d-${n.id}`}>Compliance documentation (what the customer sent)</label>
                <textarea id={`d-${n.id}`} name="documentation" maxlength={4000} />
                <button type="submit">Record answer</button>
              </PostForm>
            </details>
            {(n.answers as J[]).map((a) => (
              <p>
                <strong>Answer {date(a.received_at)}:</strong> {a.answer}
                {a.compliance_documentation ? ` — documentation: ${a.compliance_documentation}` : ""}
              </p>
            ))}
          </article>
        ))
      ) : (
        <p>No notice of illicit use.</p>
      )}
      {props.sub.status === "active" || props.sub.status === "suspended" ? (
        <details>
          <summary>Record a third party's notice of illicit use (§4: suspends the subscription)</summary>
          <PostForm action="/admin/subscription" csrf={props.csrf} confirm="Record this notice and suspend the subscription?">
            <input type="hidden" name="address" value={props.address} />
            <input type="hidden" name="sub" value={props.sub.id} />
            <input type="hidden" name="op" value="notice" />
            <label for="n-name">From (name)</label>
            <input id="n-name" name="from_name" type="text" required maxlength={200} />
            <label for="n-email">From (e-mail)</label>
            <input id="n-email" name="from_email" type="email" required maxlength={320} />
            <label for="n-desc">What is reported</label>
            <textarea id="n-desc" name="description" required maxlength={4000} />
            <label for="n-ev">Evidence</label>
            <textarea id="n-ev" name="evidence" maxlength={4000} />
            <button type="submit" class="danger">
              Record notice
            </button>
          </PostForm>
        </details>
      ) : null}
    </>
  );
}

function Billing(props: { sub: J }) {
  const s = props.sub;
  const rows = (xs: J[] | undefined) => xs ?? [];
  return (
    <>
      <DataTable caption="Invoices" columns={["Number", "Amount", "Status", "Issued", "Paid"]}>
        {rows(s.invoices).map((i) => (
          <tr>
            <td>{i.number}</td>
            <td>{money(i.amount, i.currency)}</td>
            <td>
              <Badge status={i.status} />
            </td>
            <td>{date(i.issued_at)}</td>
            <td>{date(i.paid_at)}</td>
          </tr>
        ))}
      </DataTable>
      <DataTable caption="Payments and refunds" columns={["When", "Amount", "Status", "Reference"]}>
        {rows(s.payments).map((p) => (
          <tr>
            <td>{date(p.received_at)}</td>
            <td>{money(p.amount, p.currency)}</td>
            <td>
              <Badge status={p.status} />
              {p.failure_reason ? ` ${p.failure_reason}` : ""}
            </td>
            <td>{p.reference}</td>
          </tr>
        ))}
        {rows(s.refunds).map((r) => (
          <tr>
            <td>{date(r.created_at)}</td>
            <td>−{money(r.amount, r.currency)}</td>
            <td>
              <Badge status="refund" />
            </td>
            <td>{r.reason}</td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}

function Suspensions(props: { sub: J }) {
  const xs = (props.sub.suspensions ?? []) as J[];
  if (!xs.length) return <p>Never suspended.</p>;
  return (
    <DataTable caption="Suspensions" columns={["Reason", "Suspended", "Lifted", "Evidence"]}>
      {xs.map((x) => (
        <tr>
          <td>{x.reason}</td>
          <td>
            {date(x.suspended_at)} by {x.suspended_by}
          </td>
          <td>{x.lifted_at ? `${date(x.lifted_at)} by ${x.lifted_by}: ${x.lift_reason ?? ""}` : <Badge status="suspended" />}</td>
          <td>
            <details>
              <summary>evidence</summary>
              <pre>{JSON.stringify(x.evidence, null, 2)}</pre>
            </details>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function Audit(props: { entries: J[] }) {
  if (!props.entries.length) return <p>Nothing recorded.</p>;
  return (
    <DataTable caption="Audit log (mailbox and subscription, newest first)" columns={["When", "Who", "What", "Details"]}>
      {props.entries.map((e) => (
        <tr>
          <td>{date(e.at)}</td>
          <td>{e.actor}</td>
          <td>
            {e.action}
            <div class="muted">{e.subject}</div>
          </td>
          <td>
            <details>
              <summary>before / after</summary>
              <pre>{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
            </details>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export function MailboxPage(props: { csrf: string; who: string; data: MailboxData; done?: string | null; error?: string | null }) {
  const { data, csrf } = props;
  const mb = data.mailbox;
  const sub = data.subscription;
  const ruleOf = (id: string) => data.rules.find((r) => r.kind === "device-id" && String(r.pattern).toLowerCase() === id.toLowerCase());
  return (
    <Page lang="en" title={`${data.address} — ${TITLE}`} heading={TITLE} nav={<Nav csrf={csrf} who={props.who} />} script>
      <Search value={data.address} />
      <Message kind="ok" text={props.done} />
      <Message kind="err" text={props.error} />
      <section class="card" aria-labelledby="mbx">
        <h2 id="mbx">{data.address}</h2>
        <dl class="facts">
          <dt>Login</dt>
          <dd>
            {mb.account
              ? `built in, created ${date(mb.account.created_at)}${mb.account.locked_until ? `; locked until ${date(mb.account.locked_until)}` : ""}`
              : mb.backend
                ? `bridged to ${mb.backend.imap?.host ?? "the provider's servers"}`
                : "none"}
          </dd>
          <dt>Domain</dt>
          <dd>{mb.domain}</dd>
          <dt>Device gate</dt>
          <dd>{mb.device_gate_state ? <Badge status={mb.device_gate_state.status} /> : "no subscription state (not gated)"}</dd>
        </dl>
      </section>
      <section aria-labelledby="devices">
        <h2 id="devices">Devices ({data.devices.length})</h2>
        {data.devices.length ? (
          <div class="grid wide">
            {data.devices.map((d, i) => (
              <DeviceRow d={d} i={i} rule={ruleOf(d.device_id)} traces={data.traces} csrf={csrf} address={data.address} />
            ))}
          </div>
        ) : (
          <p>No device has synchronised with this mailbox.</p>
        )}
      </section>
      <section class="card" aria-labelledby="sub">
        <h2 id="sub">Subscription</h2>
        {sub ? (
          <>
            <dl class="facts">
              <dt>State</dt>
              <dd>
                <Badge status={sub.status} />
              </dd>
              <dt>Customer</dt>
              <dd>
                {sub.customer?.name} ({sub.customer?.kind}) &lt;{sub.customer?.email}&gt;
              </dd>
              <dt>Term</dt>
              <dd>
                {sub.term_start ? `${date(sub.term_start)} → ${date(sub.term_end)}` : "not started"}
                {sub.renews ? ", renews" : ", does not renew"}
              </dd>
              <dt>Price</dt>
              <dd>{money(sub.price?.amount, sub.price?.currency)} per term</dd>
              <dt>Ordered</dt>
              <dd>{date(sub.ordered_at)}</dd>
              {sub.grace_until ? (
                <>
                  <dt>Grace until</dt>
                  <dd>{date(sub.grace_until)}</dd>
                </>
              ) : null}
              <dt>ID</dt>
              <dd>
                <code>{sub.id}</code>
              </dd>
            </dl>
            <h3>Eligibility</h3>
            <Eligibility sub={sub} />
            <SubscriptionActions sub={sub} csrf={csrf} address={data.address} />
            <h3>History</h3>
            <Suspensions sub={sub} />
            <Billing sub={sub} />
            <h3>Notices of illicit use</h3>
            <Notices notices={data.notices} sub={sub} csrf={csrf} address={data.address} />
          </>
        ) : (
          <p>No subscription.</p>
        )}
        {data.history.length ? (
          <>
            <h3>Earlier subscriptions</h3>
            <ul>
              {data.history.map((h) => (
                <li>
                  <code>{h.id}</code> <Badge status={h.status} /> ordered {date(h.ordered_at)}
                  {h.ended_at ? `, ended ${date(h.ended_at)}` : ""}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
      <section class="card" aria-labelledby="audit">
        <h2 id="audit">Audit log</h2>
        <Audit entries={data.audit} />
      </section>
    </Page>
  );
}
