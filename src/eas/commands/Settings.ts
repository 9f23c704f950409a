import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import type { OofMessage, OofSettings } from "../../mailbox/contract";
import type { WbxmlElement } from "../../wbxml/types";
import { child, childText, childrenNamed, el, elements } from "../../wbxml/tree";
import { readDeviceInformation } from "../front/device-information";
import { atLeast } from "../protocol-version";

const S = "Settings";
const status = (n: number) => el(S, "Status", n);

/**
 * [MS-ASCMD] 2.2.1.18 Settings: Oof Get/Set, DeviceInformation Set, DevicePassword Set, UserInformation Get,
 * RightsManagementInformation Get. Each part answers with its own Status ([MS-ASCMD] 2.2.3.177.15).
 */
export const Settings: EasCommand = {
  name: "Settings",
  async handle(req: EasRequest): Promise<EasResponse> {
    const root = req.body;
    // MS-ASCMD_R4388: 2 = protocol error for a body that is not a Settings request.
    if (!root || root.ns !== S || root.name !== "Settings") return wbxml(el(S, "Settings", status(2)));
    // MS-ASCMD_R7083/MS-ASCMD_R7084: RightsManagementInformation is not part of 12.1 or 14.0: such a request is
    // malformed for its version, so nothing of it is applied.
    if (child(root, "RightsManagementInformation", S) && !atLeast(req.protocolVersion, "14.1")) return wbxml(el(S, "Settings", status(2)));
    // MS-ASCMD_R478, MS-ASCMD_R480: each property is processed, and answered, in the order of the request.
    const handlers: Record<string, (e: WbxmlElement) => WbxmlElement | Promise<WbxmlElement>> = {
      Oof: (e) => handleOof(req, e),
      DeviceInformation: (e) => handleDeviceInformation(req, e),
      DevicePassword: (e) => handleDevicePassword(req, e),
      UserInformation: (e) => handleUserInformation(req, e),
      RightsManagementInformation: (e) => handleRightsManagement(req, e),
    };
    const parts: WbxmlElement[] = [];
    const done = new Set<string>();
    for (const e of elements(root)) {
      const handle = e.ns === S && !done.has(e.name) ? handlers[e.name] : undefined;
      if (!handle) continue;
      done.add(e.name); // the response schema allows each property once
      parts.push(await handle(e));
    }
    return wbxml(el(S, "Settings", status(1), ...parts));
  },
};

async function handleOof(req: EasRequest, oof: WbxmlElement): Promise<WbxmlElement> {
  const get = child(oof, "Get", S);
  const set = child(oof, "Set", S);
  if (get && !set) {
    const bodyType = normaliseBodyType(childText(get, "BodyType", S)) ?? "Text";
    const settings = (await req.mailbox.getOof()) as OofSettings;
    return el(S, "Oof", status(1), oofGet(settings, bodyType));
  }
  if (set && !get) {
    const current = (await req.mailbox.getOof()) as OofSettings;
    const parsed = readOofSet(set, current);
    if (typeof parsed === "number") return el(S, "Oof", status(parsed));
    await req.mailbox.setOof(parsed);
    return el(S, "Oof", status(1));
  }
  return el(S, "Oof", status(2));
}

const APPLIES: [element: string, audience: OofMessage["appliesTo"]][] = [
  ["AppliesToInternal", "internal"],
  ["AppliesToExternalKnown", "external-known"],
  ["AppliesToExternalUnknown", "external-unknown"],
];

/** Returns the new settings, or a Status: 2 malformed, 5 invalid arguments, 6 conflicting arguments. */
function readOofSet(set: WbxmlElement, current: OofSettings): OofSettings | number {
  const stateText = childText(set, "OofState", S);
  const state = stateText === undefined ? current.state : Number(stateText);
  if (state !== 0 && state !== 1 && state !== 2) return 5;
  const start = childText(set, "StartTime", S) ?? current.start;
  const end = childText(set, "EndTime", S) ?? current.end;
  if (state === 2) {
    if (!start || !end || Number.isNaN(Date.parse(start)) || Number.isNaN(Date.parse(end))) return 5;
    if (Date.parse(end) <= Date.parse(start)) return 6;
  }
  const messages = new Map(current.messages.map((m) => [m.appliesTo, m]));
  for (const m of childrenNamed(set, "OofMessage", S)) {
    const audience = APPLIES.find(([name]) => child(m, name, S))?.[1];
    if (!audience) return 2;
    const enabledText = childText(m, "Enabled", S);
    if (enabledText !== undefined && enabledText !== "0" && enabledText !== "1") return 5;
    const bodyTypeText = childText(m, "BodyType", S);
    const bodyType = normaliseBodyType(bodyTypeText);
    if (bodyTypeText !== undefined && !bodyType) return 5;
    const previous = messages.get(audience);
    messages.set(audience, {
      appliesTo: audience,
      enabled: enabledText === undefined ? (previous?.enabled ?? false) : enabledText === "1",
      replyMessage: childText(m, "ReplyMessage", S) ?? previous?.replyMessage,
      bodyType: bodyType ?? previous?.bodyType ?? "Text",
    });
  }
  const iso = (s: string | undefined) => (s && !Number.isNaN(Date.parse(s)) ? new Date(Date.parse(s)).toISOString() : undefined);
  return { state, start: iso(start), end: iso(end), messages: [...messages.values()] };
}

function oofGet(s: OofSettings, bodyType: "Text" | "HTML"): WbxmlElement {
  return el(
    S,
    "Get",
    el(S, "OofState", s.state),
    s.start ? el(S, "StartTime", s.start) : null,
    s.end ? el(S, "EndTime", s.end) : null,
    ...APPLIES.map(([name, audience]) => {
      const m = s.messages.find((x) => x.appliesTo === audience);
      if (!m) return null;
      return el(
        S,
        "OofMessage",
        el(S, name),
        el(S, "Enabled", m.enabled ? 1 : 0),
        m.replyMessage !== undefined ? el(S, "ReplyMessage", convertBody(m.replyMessage, m.bodyType ?? "Text", bodyType)) : null,
        el(S, "BodyType", bodyType.toUpperCase()),
      );
    }),
  );
}

function normaliseBodyType(v: string | undefined): "Text" | "HTML" | undefined {
  const t = v?.trim().toLowerCase();
  return t === "text" ? "Text" : t === "html" ? "HTML" : undefined;
}

/** The device asks for the reply in TEXT or HTML ([MS-ASCMD] 2.2.3.16 BodyType); convert what was stored. */
function convertBody(body: string, from: "Text" | "HTML", to: "Text" | "HTML"): string {
  if (from === to) return body;
  if (to === "HTML") {
    const escaped = body.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return `<html><body>${escaped.replace(/\r?\n/g, "<br>")}</body></html>`;
  }
  return body
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .trim();
}

async function handleDeviceInformation(req: EasRequest, info: WbxmlElement): Promise<WbxmlElement> {
  const parsed = readDeviceInformation(info);
  if (!parsed) return el(S, "DeviceInformation", status(2));
  await req.mailbox.setDeviceInformation(req.deviceId, parsed);
  return el(S, "DeviceInformation", status(1));
}

async function handleDevicePassword(req: EasRequest, dp: WbxmlElement): Promise<WbxmlElement> {
  const set = child(dp, "Set", S);
  const password = childText(set, "Password", S);
  if (!set || password === undefined) return el(S, "DevicePassword", status(2));
  // MS-ASCMD_R4399/MS-ASCMD_R4400: 5 when the password is too long.
  if (password.length > 255) return el(S, "DevicePassword", status(5));
  const { policy } = (await req.mailbox.getPolicy()) as { policy: { passwordRecoveryEnabled: boolean } };
  // MS-ASCMD_R4401/MS-ASCMD_R4402: 7 when the administrator has not enabled password recovery.
  if (!policy.passwordRecoveryEnabled) return el(S, "DevicePassword", status(7));
  await req.mailbox.recordDevicePassword(req.deviceId, password);
  return el(S, "DevicePassword", status(1));
}

function handleUserInformation(req: EasRequest, ui: WbxmlElement): WbxmlElement {
  if (!child(ui, "Get", S)) return el(S, "UserInformation", status(2));
  const address = req.user;
  // 14.1+ answers with Accounts ([MS-ASCMD] 2.2.3.2); older versions with EmailAddresses/SMTPAddress only.
  const get = atLeast(req.protocolVersion, "14.1")
    ? el(
        S,
        "Get",
        el(
          S,
          "Accounts",
          el(
            S,
            "Account",
            el(S, "UserDisplayName", displayNameOf(address)),
            el(S, "EmailAddresses", el(S, "SMTPAddress", address), el(S, "PrimarySmtpAddress", address)),
          ),
        ),
      )
    : el(S, "Get", el(S, "EmailAddresses", el(S, "SMTPAddress", address)));
  return el(S, "UserInformation", status(1), get);
}

function handleRightsManagement(_req: EasRequest, rm: WbxmlElement): WbxmlElement {
  if (!child(rm, "Get", S)) return el(S, "RightsManagementInformation", status(2));
  // No IRM service here: success with zero templates, so the device offers no protection templates.
  return el(S, "RightsManagementInformation", status(1), el(S, "Get", el("RightsManagement", "RightsManagementTemplates")));
}

/** The directory has no display names yet: the local part stands in. */
export function displayNameOf(address: string): string {
  return address.split("@")[0] ?? address;
}

function wbxml(body: WbxmlElement): EasResponse {
  return { kind: "wbxml", body };
}
