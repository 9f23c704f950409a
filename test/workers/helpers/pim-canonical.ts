import type { WbxmlElement, WbxmlNode } from "../../../src/wbxml/types";

/** An element tree with children sorted by namespace and name (EAS property order is free), text joined. */
export function canonical(e: WbxmlElement): unknown {
  const kids = e.children.filter((c): c is WbxmlElement => typeof c === "object" && !(c instanceof Uint8Array));
  const text = e.children
    .filter((c): c is string | Uint8Array => typeof c === "string" || c instanceof Uint8Array)
    .map((c: WbxmlNode) => (typeof c === "string" ? c : new TextDecoder().decode(c as Uint8Array)))
    .join("");
  const sorted = kids.map((k) => canonical(k)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return [`${e.ns}:${e.name}`, ...(text ? [text] : []), ...sorted];
}
