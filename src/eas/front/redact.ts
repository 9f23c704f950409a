// What a support trace leaves out unless the admin asked for full bodies (issue 17 §5): the content of mail
// and PIM bodies, MIME sent by the phone, fetched attachments and documents, and passwords a phone sends
// (device password in Settings, UNC/Search credentials). Structure, ids, statuses and sizes stay, so the
// desk still sees what was exchanged.
import { el, expandFragments, isElement, type WbxmlElement, type WbxmlNode } from "../../wbxml/index";

/** `namespace:tag` of every element whose content is replaced by a placeholder. */
export const REDACTED_ELEMENTS: ReadonlySet<string> = new Set([
  "AirSyncBase:Data", // Body/Data of every class from 12.0 ([MS-ASAIRS] 2.2.2.20.1)
  "AirSyncBase:Preview",
  "Find:Preview",
  "Email:Body", // 2.5 bodies and MIME
  "Email:MIMEData",
  "Calendar:Body",
  "Contacts:Body",
  "Tasks:Body",
  "ComposeMail:Mime", // SendMail / SmartReply / SmartForward from 14.0
  "ItemOperations:Data", // fetched attachments and documents
  "Settings:Password", // DevicePassword ([MS-ASCMD] 2.2.3.132)
  "Search:Password",
  "ItemOperations:Password",
]);

/** Passwords get a fixed text, bodies their size: the desk can still see that a body came and how large. */
function placeholder(e: WbxmlElement): string {
  if (e.name === "Password") return "[password removed]";
  let n = 0;
  for (const c of e.children) n += typeof c === "string" ? new TextEncoder().encode(c).length : c instanceof Uint8Array ? c.length : 0;
  return `[${n} bytes removed]`;
}

/**
 * A copy of the tree with the content of REDACTED_ELEMENTS replaced; counts how many were replaced. Pre-encoded
 * fragments (a Sync page's Commands) are decoded first, so nothing they hold escapes the redaction.
 */
export function redactTree(root: WbxmlElement): { tree: WbxmlElement; redacted: number } {
  let redacted = 0;
  const walk = (e: WbxmlElement): WbxmlElement => {
    if (REDACTED_ELEMENTS.has(`${e.ns}:${e.name}`) && e.children.length > 0) {
      redacted++;
      return el(e.ns, e.name, placeholder(e));
    }
    return { ns: e.ns, name: e.name, children: e.children.map((c: WbxmlNode) => (isElement(c) ? walk(c) : c)) };
  };
  return { tree: walk(expandFragments(root)), redacted };
}
