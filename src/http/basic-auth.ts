// HTTP Basic credentials (MS-ASHTTP_R139; RFC 7617). The user-id may be user@domain or DOMAIN\user.
import { HttpProblem } from "./http-problem";
import { fromBase64 } from "../formats/base64";

export const REALM = "Mobile Sync";

export interface BasicCredentials {
  username: string;
  password: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const latin1 = new TextDecoder("latin1");

/** Parses `Authorization: Basic …`; null when absent, not Basic, or unreadable. */
export function parseBasicAuth(header: string | null | undefined): BasicCredentials | null {
  if (!header) return null;
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return null;
  const bytes = fromBase64(m[1]);
  if (!bytes) return null;
  // RFC 7617 recommends UTF-8; older clients send Latin-1.
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    decoded = latin1.decode(bytes);
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  const username = decoded.slice(0, colon).trim();
  const password = decoded.slice(colon + 1);
  if (!username || !password) return null;
  return { username, password };
}

/** 401 with the Basic challenge (MS-ASHTTP_R178, MS-ASHTTP_R523): the device asks its user for the password. */
export function unauthorized(): HttpProblem {
  return new HttpProblem(401, "Unauthorized", { "WWW-Authenticate": `Basic realm="${REALM}", charset="UTF-8"` });
}
