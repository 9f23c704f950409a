// A ConversationId as a phone sends it back (itemoperations:ConversationId, search:ConversationId): the bytes
// it got in email2:ConversationId ([MS-ASEMAIL] 2.2.2.21), OPAQUE in WBXML (MS-ASCON_R70, R73: a byte array).
import { bytesHex } from "../../formats/hex";
import type { WbxmlElement } from "../../wbxml/index";
import { fromBase64 } from "../../formats/base64";

/**
 * The id as 32 hex digits (the mailbox's form), or null when empty. Opaque bytes are taken as they are; a phone
 * that sends text instead is read leniently: 32 hex digits as hex, else base64 of 16 bytes, else the text's bytes
 * (which then names no conversation).
 */
export function conversationIdHex(e: WbxmlElement): string | null {
  const parts = e.children.filter((c): c is string | Uint8Array => typeof c === "string" || c instanceof Uint8Array);
  if (parts.length === 0) return null;
  if (parts.every((p) => p instanceof Uint8Array)) {
    const bytes = concat(parts as Uint8Array[]);
    return bytes.length > 0 ? bytesHex(bytes) : null;
  }
  const text = parts
    .map((p) => (typeof p === "string" ? p : new TextDecoder().decode(p)))
    .join("")
    .trim();
  if (!text) return null;
  if (/^[0-9a-fA-F]{32}$/.test(text)) return text.toLowerCase();
  if (/^[A-Za-z0-9+/]{22}==$/.test(text)) return bytesHex(fromBase64(text)!);
  return bytesHex(new TextEncoder().encode(text));
}

/** The bytes of a ConversationId element as received, for the answer that echoes it (MS-ASCON_R69). */
export function conversationIdBytes(e: WbxmlElement): Uint8Array {
  const parts = e.children.filter((c): c is string | Uint8Array => typeof c === "string" || c instanceof Uint8Array);
  return concat(parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : p)));
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
