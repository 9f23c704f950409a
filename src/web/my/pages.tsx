// "My phones" pages (server-rendered, one language per page).
import type { DeviceRecord } from "../../mailbox/contract";
import type { OwnSubscription } from "../../service/my-account";
import { formatMoney } from "../../formats/money";
import { explainCondition } from "../explain";
import { formatDate, type Lang, locale, type Messages, messages } from "../i18n";
import { Message, Page, PostForm } from "../layout";

const colon = (l: Lang) => (l === "fr" ? "\u00a0: " : ": ");

export const phonePath = (deviceId: string, action: "wipe" | "remove") => `/my/phones/${encodeURIComponent(deviceId)}/${action}`;

function Nav(props: { m: Messages; csrf?: string; who?: string }) {
  if (!props.csrf) return null;
  return (
    <div style="display:flex;gap:1rem;align-items:center;flex-wrap:wrap">
      <span class="who">{props.m.signedInAs(props.who ?? "")}</span>
      <PostForm action="/my/logout" csrf={props.csrf}>
        <button type="submit" class="secondary">
          {props.m.signOut}
        </button>
      </PostForm>
    </div>
  );
}

export function SignInPage(props: { lang: Lang; error?: string | null; address?: string }) {
  const m = messages[props.lang];
  return (
    <Page lang={props.lang} title={m.title} heading={m.title}>
      <section class="card" aria-labelledby="signin">
        <h2 id="signin">{m.signInTitle}</h2>
        <Message kind="err" text={props.error} />
        <form method="post" action="/my/login">
          <label for="address">{m.address}</label>
          <input id="address" name="address" type="email" autocomplete="username" required value={props.address ?? ""} />
          <label for="password">{m.password}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <div>
            <button type="submit">{m.signIn}</button>
          </div>
        </form>
      </section>
    </Page>
  );
}

function deviceName(d: DeviceRecord): string {
  return d.friendlyName || d.model || d.deviceType;
}

function DeviceStatus(props: { d: DeviceRecord; m: Messages; serving: boolean }) {
  const { d, m } = props;
  if (d.wipeState === "acknowledged") return <span class="badge neutral">{m.wiped}</span>;
  if (d.wipeState === "account-only-acknowledged") return <span class="badge neutral">{m.accountWiped}</span>;
  if (d.wipeState === "account-only-pending") return <span class="badge warn">{m.accountWipePending}</span>;
  if (d.wipeState !== "none") return <span class="badge warn">{m.wipePending}</span>;
  if (d.access === "blocked") return <span class="badge bad">{m.blocked}</span>;
  if (d.access === "quarantined") return <span class="badge warn">{m.quarantined}</span>;
  if (!props.serving) return <span class="badge warn">{m.paused}</span>;
  return <span class="badge ok">{m.syncing}</span>;
}

/** `serving`: the subscription lets phones sync (no subscription at all: not gated). */
function Devices(props: { lang: Lang; devices: DeviceRecord[]; serving: boolean }) {
  const m = messages[props.lang];
  if (!props.devices.length) return <p>{m.noPhones}</p>;
  return (
    <div class="grid wide">
      {props.devices.map((d) => (
        <article class="card" aria-label={deviceName(d)}>
          <h3>{deviceName(d)}</h3>
          <dl class="facts">
            <dt>{m.phone}</dt>
            <dd>{[d.model, d.os].filter(Boolean).join(" · ") || d.deviceType}</dd>
            <dt>{m.lastSync}</dt>
            <dd>{formatDate(d.lastSeen, props.lang)}</dd>
            <dt>{m.firstSeen}</dt>
            <dd>{formatDate(d.firstSeen, props.lang)}</dd>
            <dt>{m.status}</dt>
            <dd>
              <DeviceStatus d={d} m={m} serving={props.serving} />
            </dd>
          </dl>
          <div>
            {d.wipeState === "none" ? (
              <a class="button" href={phonePath(d.deviceId, "wipe")}>
                {m.wipe}
              </a>
            ) : null}
            <a class="button secondary" href={phonePath(d.deviceId, "remove")}>
              {m.remove}
            </a>
          </div>
        </article>
      ))}
    </div>
  );
}

function badgeFor(status: string) {
  return status === "active" ? "ok" : status === "grace" || status === "pending_payment" ? "warn" : "bad";
}

function Subscription(props: { lang: Lang; sub: OwnSubscription | null }) {
  const { lang, sub } = props;
  const m = messages[lang];
  if (!sub) return <p>{m.noSubscription}</p>;
  return (
    <>
      <dl class="facts">
        <dt>{m.state}</dt>
        <dd>
          <span class={`badge ${badgeFor(sub.status)}`}>{m.statuses[sub.status] ?? sub.status}</span>
        </dd>
        {sub.termStart && sub.termEnd ? (
          <>
            <dt>{m.term}</dt>
            <dd>{m.termRange(formatDate(sub.termStart, lang, false), formatDate(sub.termEnd, lang, false))}</dd>
            <dt>{m.renews}</dt>
            <dd>{sub.renews ? m.yes : m.endsAtTerm}</dd>
          </>
        ) : null}
        {sub.graceUntil ? (
          <>
            <dt>{m.graceUntil}</dt>
            <dd>{formatDate(sub.graceUntil, lang, false)}</dd>
          </>
        ) : null}
        <dt>{m.price}</dt>
        <dd>{formatMoney(sub.priceCents, sub.currency, locale(lang))}</dd>
      </dl>
      {sub.status === "suspended" ? <Suspended lang={lang} sub={sub} /> : null}
    </>
  );
}

function Suspended(props: { lang: Lang; sub: OwnSubscription }) {
  const { lang, sub } = props;
  const m = messages[lang];
  return (
    <section aria-labelledby="why" id="suspension">
      <h3 id="why">{m.whyTitle}</h3>
      <p>{m.suspendedIntro}</p>
      {sub.suspensions.map((s) => {
        if (s.reason === "illicit_use")
          return (
            <div class="msg err">
              <p>{m.illicit}</p>
              <p>
                <strong>{m.toDo}</strong>
                {colon(lang)}
                {m.illicitToDo}
              </p>
            </div>
          );
        if (s.reason === "other")
          return (
            <div class="msg err">
              <p>{m.other}</p>
              {s.note ? (
                <p>
                  <strong>{m.reasonGiven}</strong>
                  {colon(lang)}
                  {s.note}
                </p>
              ) : null}
              <p>{m.otherToDo}</p>
            </div>
          );
        return (
          <>
            {s.lost.map((l) => {
              const x = explainCondition(l.condition, l.evidence, lang);
              return (
                <div class="msg err" data-condition={l.condition}>
                  <p>
                    <strong>✗ {x.title}</strong>
                  </p>
                  <dl class="facts">
                    <dt>{m.found}</dt>
                    <dd>{x.found.join(" ") || "—"}</dd>
                    {x.expected ? (
                      <>
                        <dt>{m.expected}</dt>
                        <dd>{x.expected}</dd>
                      </>
                    ) : null}
                    <dt>{m.toDo}</dt>
                    <dd>{x.toDo}</dd>
                  </dl>
                  {l.checkedAt ? <p class="muted">{m.checkedAt(formatDate(l.checkedAt, lang))}</p> : null}
                </div>
              );
            })}
            <p>{m.afterFix}</p>
          </>
        );
      })}
    </section>
  );
}

export function OverviewPage(props: {
  lang: Lang;
  who: string;
  csrf: string;
  devices: DeviceRecord[];
  sub: OwnSubscription | null;
  done?: string | null;
}) {
  const m = messages[props.lang];
  return (
    <Page lang={props.lang} title={m.title} heading={m.title} nav={<Nav m={m} csrf={props.csrf} who={props.who} />}>
      <Message kind="ok" text={props.done} />
      <section class="card" aria-labelledby="sub">
        <h2 id="sub">{m.subscription}</h2>
        <Subscription lang={props.lang} sub={props.sub} />
      </section>
      <section aria-labelledby="phones">
        <h2 id="phones">{m.phones}</h2>
        <Devices
          lang={props.lang}
          devices={props.devices}
          serving={!props.sub || props.sub.status === "active" || props.sub.status === "grace"}
        />
      </section>
    </Page>
  );
}

/** `accountOnly`: the phone can remove just this mailbox (16.1), offered beside the full wipe. */
export function ConfirmPage(props: {
  lang: Lang;
  who: string;
  csrf: string;
  device: DeviceRecord;
  action: "wipe" | "remove";
  accountOnly?: boolean;
}) {
  const m = messages[props.lang];
  const wipe = props.action === "wipe";
  const action = phonePath(props.device.deviceId, props.action);
  return (
    <Page lang={props.lang} title={m.title} heading={m.title} nav={<Nav m={m} csrf={props.csrf} who={props.who} />}>
      <section class="card" aria-labelledby="confirm">
        <h2 id="confirm">{wipe ? m.confirmWipeTitle : m.confirmRemoveTitle}</h2>
        <p>
          <strong>{deviceName(props.device)}</strong> — {m.lastSync}
          {colon(props.lang)}
          {formatDate(props.device.lastSeen, props.lang)}
        </p>
        <p>{wipe ? m.confirmWipe : m.confirmRemove}</p>
        {wipe && !props.accountOnly ? <p>{m.wholePhoneOnly}</p> : null}
        <PostForm action={action} csrf={props.csrf}>
          <button type="submit" class={wipe ? "danger" : ""}>
            {wipe ? m.yesWipe : m.yesRemove}
          </button>
          <a class="button secondary" href="/my/">
            {m.cancel}
          </a>
        </PostForm>
      </section>
      {wipe && props.accountOnly ? (
        <section class="card" aria-labelledby="account-only">
          <h2 id="account-only">{m.accountOnlyTitle}</h2>
          <p>{m.confirmAccountOnly}</p>
          <PostForm action={action} csrf={props.csrf}>
            <input type="hidden" name="scope" value="account" />
            <button type="submit">{m.yesAccountOnly}</button>
          </PostForm>
        </section>
      ) : null}
    </Page>
  );
}

export function PlainPage(props: { lang: Lang; text: string }) {
  const m = messages[props.lang];
  return (
    <Page lang={props.lang} title={m.title} heading={m.title}>
      <Message kind="err" text={props.text} />
      <p>
        <a href="/my/">{m.title}</a>
      </p>
    </Page>
  );
}
