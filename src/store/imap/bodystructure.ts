// Finding the text parts of a message from its BODYSTRUCTURE (RFC 3501 §7.4.2), so a big message's body
// can be read without fetching its attachments. Only IMAP structure is read here; decoding the part
// (transfer encoding, charset) is left to the MIME parser.
import { str, type Token } from "./parser";

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
