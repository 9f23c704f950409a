// Finding the text parts of a message from its BODYSTRUCTURE (RFC 3501 §7.4.2), so a big message's body
// can be read without fetching its attachments. Only IMAP structure is read here; decoding the part
// (transfer encoding, charset) is left to the MIME parser.
import { str, type Token } from "./parser";
import { concatBytes } from "./wire";

export interface TextPart {
  /** IMAP section: "1", "2.1" … ("1" is also the body of a single-part message). */
  section: string;
  subtype: "plain" | "html";
  size: number;
}

/** Inline text/plain and text/html leaves, in document order; message/rfc822 parts are not entered. */
export function textParts(structure: Token, prefix = ""): TextPart[] {
  if (!Array.isArray(structure)) return [];
  if (Array.isArray(structure[0])) {
    const out: TextPart[] = [];
    let n = 0;
    for (const child of structure) {
      if (!Array.isArray(child)) break; // then the multipart subtype and extensions
      n++;
      out.push(...textParts(child, prefix ? `${prefix}.${n}` : String(n)));
    }
    return out;
  }
  const type = str(structure[0]).toLowerCase();
  const subtype = str(structure[1]).toLowerCase();
  if (type !== "text" || (subtype !== "plain" && subtype !== "html")) return [];
  // text: type subtype params id description encoding size lines [md5 disposition …]
  const disposition = structure[9];
  if (Array.isArray(disposition) && str(disposition[0]).toLowerCase() === "attachment") return [];
  return [{ section: prefix || "1", subtype, size: Number(str(structure[6])) }];
}

/** A message's multipart tree pruned to its text leaves (those of textParts). */
export type TextTree = TextPart | { multipart: string; children: TextTree[] };

/** Text leaves read at most: a FETCH names two items per leaf, and hostile messages have thousands. */
const MAX_TEXT_LEAVES = 64;

/**
 * The multipart tree of a message keeping only its text leaves, in document order, or null when it has
 * none. A big message's body is rebuilt from it (rebuildText) so the MIME parser joins the text parts
 * exactly as it does for the whole message: text, picture, text (Apple Mail) is both texts, not the first.
 */
export function textTree(structure: Token, prefix = "", budget = { leaves: MAX_TEXT_LEAVES }): TextTree | null {
  if (!Array.isArray(structure)) return null;
  if (!Array.isArray(structure[0])) {
    const leaf = budget.leaves > 0 ? textParts(structure, prefix)[0] : undefined;
    if (leaf) budget.leaves--;
    return leaf ?? null;
  }
  const children: TextTree[] = [];
  let n = 0;
  for (const child of structure) {
    if (!Array.isArray(child)) break; // then the multipart subtype and extensions
    n++;
    const t = textTree(child, prefix ? `${prefix}.${n}` : String(n), budget);
    if (t) children.push(t);
  }
  return children.length ? { multipart: str(structure[n]).toLowerCase() || "mixed", children } : null;
}

export function textLeaves(t: TextTree): TextPart[] {
  return "section" in t ? [t] : t.children.flatMap(textLeaves);
}

/** A MIME message of the tree: multiparts with fresh boundaries around each leaf's MIME header and body. */
export function rebuildText(t: TextTree, leaf: (p: TextPart) => Uint8Array[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [enc.encode("MIME-Version: 1.0\r\n")];
  const add = (node: TextTree) => {
    if ("section" in node) {
      chunks.push(...leaf(node));
      return;
    }
    const boundary = `=_part_${crypto.randomUUID()}`;
    chunks.push(enc.encode(`Content-Type: multipart/${node.multipart}; boundary="${boundary}"\r\n\r\n`));
    for (const child of node.children) {
      chunks.push(enc.encode(`--${boundary}\r\n`));
      add(child);
      chunks.push(enc.encode("\r\n"));
    }
    chunks.push(enc.encode(`--${boundary}--\r\n`));
  };
  add(t);
  return concatBytes(chunks);
}
