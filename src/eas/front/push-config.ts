import { env } from "cloudflare:workers";
import type { PingBounds } from "../../mailbox/contract";

// Defaults and reasons (README "Push: heartbeat bounds"):
// - 60 s minimum: Exchange's default floor (MS-ASCMD_R7493). Shorter heartbeats are how phones end up
//   pinging every few seconds and draining the battery (anchors §3 row 5, SOGo's 10 s default).
// - 2700 s (45 min) maximum: below Exchange's 3540 s. Every hop between the phone and the Worker must keep
//   an idle request open for the whole heartbeat; one that cuts it first answers 5xx, and iPhones treat
//   repeated 5xx as a reason for a full resync (anchors §3 row 6). Hops commonly sit at 3600 s (grommunio
//   and Z-Push ship 3660 s), and we cannot test here whether Cloudflare's edge keeps a header-less response
//   open for an hour. 45 min (Horde's tested cap) keeps a 15 min margin; a Ping that ends with Status 1
//   costs one request, a cut one costs a 5xx. Status 5 tells the phone the exact limit (R4248).
// - 100 folders: more than any phone pings (Inbox, Calendar, Contacts, Tasks and a few mail folders);
//   Outlook-class clients that would watch every folder get Status 6 with MaxFolders and shorten the list.

export const DEFAULT_PING_MIN_HEARTBEAT = 60;
export const DEFAULT_PING_MAX_HEARTBEAT = 2700;
export const DEFAULT_PING_MAX_FOLDERS = 100;

function intVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Ping and hanging-Sync bounds from the wrangler vars PING_MIN_HEARTBEAT, PING_MAX_HEARTBEAT, PING_MAX_FOLDERS. */
export function pushBounds(
  vars: Partial<Record<"PING_MIN_HEARTBEAT" | "PING_MAX_HEARTBEAT" | "PING_MAX_FOLDERS", string>> = env as never,
): PingBounds {
  const minHeartbeat = intVar(vars.PING_MIN_HEARTBEAT, DEFAULT_PING_MIN_HEARTBEAT);
  const maxHeartbeat = Math.max(minHeartbeat, intVar(vars.PING_MAX_HEARTBEAT, DEFAULT_PING_MAX_HEARTBEAT));
  return { minHeartbeat, maxHeartbeat, maxFolders: intVar(vars.PING_MAX_FOLDERS, DEFAULT_PING_MAX_FOLDERS) };
}
