import type { BodyPreference } from "./sync-types";

/** [MS-ASCMD] 2.2.3.109 MIMETruncation codes → bytes (8 = no truncation). */
const MIME_TRUNCATION = [0, 4096, 5120, 7168, 10240, 20480, 51200, 102400];

export function mimeTruncationBytes(code: number | undefined): number | undefined {
  if (code === undefined || code >= 8 || code < 0) return undefined;
  return MIME_TRUNCATION[code];
}

export interface BodyFacts {
  hasHtml: boolean;
  /** S/MIME signed or encrypted (MIMESupport 1 sends MIME only for these). */
  smime: boolean;
  mimeSupport: number;
}

/**
 * Orders the device's BodyPreference elements by what it should get ([MS-ASAIRS] 2.2.2.12, 2.2.2.3):
 * MIME when asked for and allowed by MIMESupport, then the type closest to the native body (HTML for an
 * HTML message, plain otherwise), then the rest. AllOrNone is applied later by the caller, which falls
 * through to the next candidate when the data does not fit.
 */
export function rankBodyPreferences(prefs: BodyPreference[], facts: BodyFacts): BodyPreference[] {
  const byType = new Map<number, BodyPreference>();
  for (const p of prefs) if ([1, 2, 4].includes(p.type) && !byType.has(p.type)) byType.set(p.type, p);
  const mimeAllowed = facts.mimeSupport === 2 || (facts.mimeSupport === 1 && facts.smime);
  const order: number[] = [];
  if (mimeAllowed) order.push(4);
  order.push(...(facts.hasHtml ? [2, 1] : [1, 2]));
  const ranked = order.map((t) => byType.get(t)).filter((p): p is BodyPreference => p !== undefined);
  // Only RTF (3) or only MIME without MIMESupport: plain text is the safe rendition.
  return ranked.length > 0 ? ranked : [{ type: 1 }];
}

/** Cuts UTF-8 text to at most `maxBytes` bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/** Plain text as HTML, for a device that only accepts type 2 on a plain-text message. */
export function plainToHtml(text: string): string {
  const esc = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<html><body><pre>${esc}</pre></body></html>`;
}
