// "My phones" at /my/: the mailbox owner signs in with their address and password (the same directory and
// lockout as their phones), sees their phones and subscription, and wipes or removes a phone.
import { Hono, type Context } from "hono";
import { atLeast } from "../../eas/protocol-version";
import type { DeviceRecord } from "../../mailbox/contract";
import { makeDeps } from "../../service/deps";
import { D1UserDirectory } from "../../service/directory";
import { loginStamp, ownDevices, ownSubscription, removeOwnDevice, wipeOwnDevice } from "../../service/my-account";
import { formatDate, type Lang, messages, pickLang } from "../i18n";
import { site, signIn, signOut, type WebEnv } from "../site";
import { ConfirmPage, OverviewPage, PlainPage, SignInPage } from "./pages";

export const myPhones = new Hono<WebEnv>();

const lang = (c: Context<WebEnv>): Lang => pickLang(c.req.header("accept-language"));

myPhones.use(
  "*",
  site("my", "/my/login", (c, status, key) => {
    const m = messages[lang(c)];
    const text =
      key === "https"
        ? m.needHttps
        : key === "closed"
          ? "Sign-in is not configured (SESSION_SECRET or ADMIN_TOKEN)."
          : "Refused: please reload the page and try again.";
    return c.html(<PlainPage lang={lang(c)} text={text} />, status);
  }),
);

const deps = (c: Context<WebEnv>) => makeDeps(c.env, { actor: `customer:${c.get("session")!.sub}` });

// A session whose login changed since sign-in (password reset, mailbox deleted) is over.
myPhones.use("*", async (c, next) => {
  const s = c.get("session");
  if (s && s.stamp !== ((await loginStamp(makeDeps(c.env), s.sub)) ?? undefined)) {
    signOut(c, "my");
    c.set("session", null);
    c.set("csrf", "");
    if (c.req.method === "POST" && new URL(c.req.url).pathname !== "/my/login") return c.redirect("/my/", 303);
  }
  await next();
});

myPhones.get("/", async (c) => {
  const s = c.get("session");
  if (!s) return c.html(<SignInPage lang={lang(c)} />);
  const d = deps(c);
  const [devices, sub] = await Promise.all([ownDevices(d, s.sub), ownSubscription(d, s.sub)]);
  const m = messages[lang(c)];
  const done = c.req.query("done");
  return c.html(
    <OverviewPage
      lang={lang(c)}
      who={s.sub}
      csrf={c.get("csrf")}
      devices={devices}
      sub={sub}
      done={done === "wipe" ? m.doneWipe : done === "wipe-account" ? m.doneWipeAccount : done === "remove" ? m.doneRemove : null}
    />,
  );
});

myPhones.post("/login", async (c) => {
  const f = c.get("form");
  const address = (f.address ?? "").trim().slice(0, 320);
  const l = lang(c);
  let r: Awaited<ReturnType<D1UserDirectory["authenticate"]>>;
  try {
    r = await new D1UserDirectory(c.env.DB).authenticate(address, f.password ?? "", c.req.header("cf-connecting-ip") ?? null);
  } catch {
    // A bridged mailbox whose IMAP server cannot answer (StoreUnavailableError): an outage, not a refusal.
    c.header("Retry-After", "60");
    return c.html(<SignInPage lang={l} error={messages[l].serverDown} address={address} />, 503);
  }
  if (!r.ok) {
    const m = messages[l];
    const error = r.reason === "locked" && r.lockedUntil ? m.locked(formatDate(r.lockedUntil, l)) : m.wrongLogin;
    return c.html(<SignInPage lang={l} error={error} address={address} />, r.reason === "locked" ? 429 : 401);
  }
  await signIn(c, "my", r.address, (await loginStamp(makeDeps(c.env), r.address)) ?? undefined);
  return c.redirect("/my/", 303);
});

myPhones.post("/logout", (c) => {
  signOut(c, "my");
  return c.redirect("/my/", 303);
});

async function ownDevice(c: Context<WebEnv>): Promise<DeviceRecord | null> {
  const id = c.req.param("id") ?? "";
  if (!id || id.length > 128) return null;
  return (await ownDevices(deps(c), c.get("session")!.sub)).find((d) => d.deviceId === id) ?? null;
}

/** [MS-ASPROV] 2.2.2.1: only a 16.1 device can remove just this account (AccountOnlyRemoteWipe). */
export const canWipeAccountOnly = (d: DeviceRecord) => atLeast(d.protocolVersion, "16.1");

for (const action of ["wipe", "remove"] as const) {
  myPhones.get(`/phones/:id/${action}`, async (c) => {
    const s = c.get("session");
    if (!s) return c.redirect("/my/", 303);
    const device = await ownDevice(c);
    if (!device) return c.html(<PlainPage lang={lang(c)} text={messages[lang(c)].noSuchPhone} />, 404);
    return c.html(
      <ConfirmPage
        lang={lang(c)}
        who={s.sub}
        csrf={c.get("csrf")}
        device={device}
        action={action}
        accountOnly={canWipeAccountOnly(device)}
      />,
    );
  });
  myPhones.post(`/phones/:id/${action}`, async (c) => {
    const s = c.get("session")!;
    const d = deps(c);
    const device = await ownDevice(c);
    if (!device) return c.html(<PlainPage lang={lang(c)} text={messages[lang(c)].noSuchPhone} />, 404);
    // scope=account: only this account's data; offered (and accepted) for 16.1 phones only.
    const accountOnly = action === "wipe" && c.get("form").scope === "account";
    if (accountOnly && !canWipeAccountOnly(device))
      return c.html(<PlainPage lang={lang(c)} text={messages[lang(c)].wholePhoneOnly} />, 409);
    const ok =
      action === "wipe"
        ? (await wipeOwnDevice(d, s.sub, device.deviceId, accountOnly)) !== null
        : await removeOwnDevice(d, s.sub, device.deviceId);
    if (!ok) return c.html(<PlainPage lang={lang(c)} text={messages[lang(c)].noSuchPhone} />, 404);
    return c.redirect(`/my/?done=${accountOnly ? "wipe-account" : action}`, 303);
  });
}
