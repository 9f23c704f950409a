// EAS 2.5 item shapes ([MS-ASEMAIL], [MS-ASCAL], [MS-ASCNTC], [MS-ASTASK] version notes): no AirSyncBase, bodies
// and attachments in each class's own namespace. Built from the same item data the 12.0+ encoders use, so the
// built-in store and the IMAP bridge serve 2.5 phones from the same stored message.
import { child, childText, el, isElement, text, type WbxmlElement, type WbxmlNode } from "../wbxml";
import { tagInVersion } from "../wbxml";
import type { AttachmentData, BodyData } from "./sync-types";

/**
 * [MS-ASEMAIL] 2.2.2.7 (2.5): Attachments/Attachment with AttName (what GetAttachment's AttachmentName takes:
 * here the FileReference), AttSize, AttMethod (1 normal, 5 embedded message), DisplayName; in Email.xsd order.
 */
export function attachments25(list: AttachmentData[]): WbxmlElement | null {
  if (list.length === 0) return null;
  return el(
    "Email",
    "Attachments",
    ...list.map((a) =>
      el(
        "Email",
        "Attachment",
        el("Email", "AttName", a.fileReference),
        el("Email", "AttSize", a.estimatedDataSize),
        el("Email", "AttMethod", a.method),
        el("Email", "DisplayName", a.displayName),
      ),
    ),
  );
}

/**
 * [MS-ASEMAIL] 2.2.2.10.2 Body, 2.2.2.11 BodySize, 2.2.2.12 BodyTruncated (plain text, cut at the Truncation
 * the device asked for); MIMEData, MIMESize, MIMETruncated when MIMESupport chose the whole message.
 */
export function mailBody25(b: BodyData | undefined): WbxmlElement[] {
  if (!b) return [];
  if (b.type === 4)
    return [
      el("Email", "MIMETruncated", b.truncated ? "1" : "0"),
      b.data !== undefined && el("Email", "MIMEData", b.data),
      el("Email", "MIMESize", b.estimatedDataSize),
    ].filter((x): x is WbxmlElement => !!x);
  return [
    el("Email", "BodySize", b.estimatedDataSize),
    el("Email", "BodyTruncated", b.truncated ? "1" : "0"),
    el("Email", "Body", b.data ?? ""),
  ];
}

/** Which 2.5 body elements each PIM namespace has ([MS-ASWBXML] code pages 1, 4, 9: Calendar has no BodySize). */
const PIM_BODY: Record<string, { size: boolean }> = { Calendar: { size: false }, Contacts: { size: true }, Tasks: { size: true } };

/**
 * ApplicationData of a calendar, contact or task for a 2.5 client: the AirSyncBase Body the converters build
 * becomes the namespace's own Body/BodySize/BodyTruncated, and every tag 2.5 does not have is left out.
 */
export function pimData25(data: WbxmlElement[]): WbxmlElement[] {
  const ns = data.find((e) => e.ns !== "AirSyncBase")?.ns;
  const out: WbxmlElement[] = [];
  for (const e of data) {
    if (e.ns === "AirSyncBase" && e.name === "Body" && ns && PIM_BODY[ns]) {
      const data = text(child(e, "Data", "AirSyncBase"));
      const truncated = childText(e, "Truncated", "AirSyncBase")?.trim() === "1";
      const size = childText(e, "EstimatedDataSize", "AirSyncBase");
      if (PIM_BODY[ns].size && size !== undefined) out.push(el(ns, "BodySize", size));
      out.push(el(ns, "BodyTruncated", truncated ? "1" : "0"));
      if (data !== undefined) out.push(el(ns, "Body", data));
      continue;
    }
    const kept = only25(e);
    if (kept) out.push(kept);
  }
  return out;
}

/** The element without the tags protocol 2.5 does not have (null when its own tag is one of them). */
export function only25(e: WbxmlElement): WbxmlElement | null {
  if (!tagInVersion(e.ns, e.name, "2.5")) return null;
  if (!e.children.some(isElement)) return e;
  return { ...e, children: e.children.map((c) => (isElement(c) ? only25(c) : c)).filter((c): c is WbxmlNode => c !== null) };
}
