// Our push registration on a Dovecot server: the METADATA entry (RFC 5464) its push_notification driver reads
// with `user_from_metadata`. Set once per account (enablePush), checked and set again when a rebuilt or
// migrated server lost its attribute dictionary (verifyPush, issue 19). One short session each.
import { StoreFolderError } from "../types";
import { q, type ImapSession } from "./connection";
import { str } from "./parser";

/** The entry Dovecot's push_notification driver reads (`user=<address>`). */
export const PUSH_ENTRY = "/private/vendor/vendor.dovecot/http-notify";

function value(address: string): string {
  const v = q(`user=${address}`);
  if (typeof v !== "string") throw new StoreFolderError("invalid", "push needs an ASCII address");
  return v;
}

/** Sets the entry; false when the server has no METADATA. */
export async function enablePush(s: ImapSession, address: string): Promise<boolean> {
  if (!s.has("METADATA")) return false;
  await s.command(["SETMETADATA", '""', `(${PUSH_ENTRY} ${value(address)})`]);
  return true;
}

/**
 * Reads the entry (one GETMETADATA) and sets it again when it is gone or names another address (a SETMETADATA
 * only then). "unsupported": the server has no METADATA.
 */
export async function verifyPush(s: ImapSession, address: string): Promise<"present" | "restored" | "unsupported"> {
  if (!s.has("METADATA")) return "unsupported";
  const wanted = value(address);
  const r = await s.command(["GETMETADATA", '""', PUSH_ENTRY]);
  let current = "";
  for (const u of r.untagged) {
    if (str(u.tokens[0]).toUpperCase() !== "METADATA") continue;
    const list = u.tokens[2];
    if (Array.isArray(list))
      for (let i = 0; i + 1 < list.length; i += 2) if (str(list[i]).toLowerCase() === PUSH_ENTRY) current = str(list[i + 1]);
  }
  if (current === `user=${address}`) return "present";
  await s.command(["SETMETADATA", '""', `(${PUSH_ENTRY} ${wanted})`]);
  return "restored";
}
