// Notes text of PIM items as AirSyncBase:Body ([MS-ASAIRS] 2.2.2.9), plain text (Type 1).
import { child, childText, el } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";

export function bodyToEas(body: string, truncationSize?: number): WbxmlElement {
  const bytes = new TextEncoder().encode(body);
  let data = body;
  let truncated = false;
  if (truncationSize !== undefined && bytes.length > truncationSize) {
    // Cut on a character boundary at or below the byte limit.
    data = new TextDecoder().decode(bytes.slice(0, truncationSize)).replace(/\uFFFD+$/, "");
    truncated = true;
  }
  return el(
    "AirSyncBase",
    "Body",
    el("AirSyncBase", "Type", 1),
    el("AirSyncBase", "EstimatedDataSize", bytes.length),
    truncated && el("AirSyncBase", "Truncated", 1),
    el("AirSyncBase", "Data", data),
  );
}

/**
 * The text the device sent, or undefined when it sent no body (which never deletes the stored one).
 * HTML (Type 2) is kept as sent; RTF (Type 3) and MIME (Type 4) are not accepted as notes and ignored; 2.5 Rtf
 * bodies (calendar/contacts/tasks Rtf) are not read either.
 */
export function bodyFromEas(data: WbxmlElement, legacyNs: string): string | undefined {
  const body = child(data, "Body", "AirSyncBase");
  if (body) {
    const type = childText(body, "Type", "AirSyncBase")?.trim() ?? "1";
    if (type !== "1" && type !== "2") return undefined;
    if (childText(body, "Truncated", "AirSyncBase")?.trim() === "1") return undefined;
    return childText(body, "Data", "AirSyncBase") ?? "";
  }
  // 2.5: the body in the class's own namespace; one the device got truncated ([MS-ASCMD] 2.2.3.175: it cannot
  // fetch the rest) never replaces the whole stored text.
  if (childText(data, "BodyTruncated", legacyNs)?.trim() === "1") return undefined;
  return childText(data, "Body", legacyNs);
}
