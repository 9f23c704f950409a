// airsync:Options / itemoperations:Options children shared by Sync, GetItemEstimate and ItemOperations.
import { childrenNamed, childText, type WbxmlElement } from "../../wbxml";
import type { BodyPreference, SyncOptions } from "../sync-types";

const INT = /^[0-9]{1,10}$/;

function num(s: string | undefined, bad: () => Error): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (!INT.test(t)) throw bad();
  return Number(t);
}

/** [MS-ASAIRS] 2.2.2.12 BodyPreference elements (Type required; at most one per Type). */
export function parseBodyPreferences(options: WbxmlElement | undefined, bad: () => Error): BodyPreference[] {
  const prefs: BodyPreference[] = [];
  for (const b of childrenNamed(options, "BodyPreference", "AirSyncBase")) {
    const type = num(childText(b, "Type", "AirSyncBase"), bad);
    if (type === undefined || type < 1 || type > 4 || prefs.some((p) => p.type === type)) throw bad();
    const allOrNone = childText(b, "AllOrNone", "AirSyncBase");
    const preview = num(childText(b, "Preview", "AirSyncBase"), bad);
    if (preview !== undefined && preview > 255) throw bad();
    prefs.push({
      type,
      truncationSize: num(childText(b, "TruncationSize", "AirSyncBase"), bad),
      allOrNone: allOrNone === undefined ? undefined : allOrNone.trim() === "1" || allOrNone.trim() === "",
      preview,
    });
  }
  return prefs;
}

export function parseOptions(options: WbxmlElement, bad: () => Error): SyncOptions {
  const filterType = num(childText(options, "FilterType"), bad) ?? 0;
  if (filterType > 8) throw bad();
  const mimeSupport = num(childText(options, "MIMESupport"), bad) ?? 0;
  if (mimeSupport > 2) throw bad();
  const conflict = num(childText(options, "Conflict"), bad) ?? 1;
  if (conflict > 1) throw bad();
  return {
    filterType,
    bodyPreferences: parseBodyPreferences(options, bad),
    mimeSupport,
    mimeTruncation: num(childText(options, "MIMETruncation"), bad),
    conflict,
  };
}
