// airsync:Options / itemoperations:Options children shared by Sync, GetItemEstimate and ItemOperations.
import { childrenNamed, childText, type WbxmlElement } from "../../wbxml";
import { mimeTruncationBytes } from "../body-preference";
import { atLeast } from "../protocol-version";
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

/**
 * [MS-ASAIRS] 2.2.2.11 BodyPartPreference (14.1+, at most one): Type 2 (HTML) is the only one served
 * (MS-ASAIRS_R324); another Type is `unsupported` ([MS-ASCMD] 2.2.2 status 164, MS-ASCMD_R5412, MS-ASCON_R241).
 * Undefined when absent, or in a version before 14.1 (MS-ASAIRS_R1313, R1314: not supported there).
 */
export function parseBodyPartPreference(
  options: WbxmlElement | undefined,
  bad: () => Error,
  unsupported: () => Error,
  protocolVersion: string,
): BodyPreference | undefined {
  const els = childrenNamed(options, "BodyPartPreference", "AirSyncBase");
  if (els.length === 0 || !atLeast(protocolVersion, "14.1")) return undefined;
  if (els.length > 1) throw bad();
  const b = els[0]!;
  const type = num(childText(b, "Type", "AirSyncBase"), bad);
  if (type === undefined) throw bad();
  if (type !== 2) throw unsupported();
  const allOrNone = childText(b, "AllOrNone", "AirSyncBase");
  const preview = num(childText(b, "Preview", "AirSyncBase"), bad);
  if (preview !== undefined && preview > 255) throw bad();
  return {
    type,
    truncationSize: num(childText(b, "TruncationSize", "AirSyncBase"), bad),
    allOrNone: allOrNone === undefined ? undefined : allOrNone.trim() === "1" || allOrNone.trim() === "",
    preview,
  };
}

/**
 * [MS-ASCMD] 2.2.3.175 Truncation (2.5 only): 0 = all body text, 1–8 = more than 512, 1,024, 2,048, 5,120,
 * 10,240, 20,480, 51,200, 102,400 characters, 9 = no truncation (absent: no truncation either).
 */
const TRUNCATION_25 = [0, 512, 1024, 2048, 5120, 10240, 20480, 51200, 102400];

/**
 * A 2.5 client has no BodyPreference: its Truncation (plain text, in the content namespace's Body) and its
 * MIMESupport/MIMETruncation become the same body preferences a 12.0+ client would send, so the mailbox renders
 * bodies for both from the same stored data. RtfTruncation is read (it must be a number) and not used: the
 * server has no RTF rendition and sends plain text instead ([MS-ASCMD] 2.2.3.140, Rtf is optional).
 */
function legacyBodyPreferences(options: WbxmlElement, mimeSupport: number, mimeTruncation: number | undefined, bad: () => Error) {
  const truncation = num(childText(options, "Truncation"), bad);
  const rtf = num(childText(options, "RtfTruncation"), bad);
  if ((truncation !== undefined && truncation > 9) || (rtf !== undefined && rtf > 9)) throw bad();
  const prefs: BodyPreference[] = [];
  if (mimeSupport > 0) prefs.push({ type: 4, truncationSize: mimeTruncationBytes(mimeTruncation) });
  prefs.push({ type: 1, truncationSize: truncation === undefined ? undefined : TRUNCATION_25[truncation] });
  return prefs;
}

export function parseOptions(
  options: WbxmlElement,
  bad: () => Error,
  protocolVersion?: string,
  unsupported: () => Error = bad,
): SyncOptions {
  const filterType = num(childText(options, "FilterType"), bad) ?? 0;
  if (filterType > 8) throw bad();
  const mimeSupport = num(childText(options, "MIMESupport"), bad) ?? 0;
  if (mimeSupport > 2) throw bad();
  const conflict = num(childText(options, "Conflict"), bad) ?? 1;
  if (conflict > 1) throw bad();
  const mimeTruncation = num(childText(options, "MIMETruncation"), bad);
  return {
    filterType,
    bodyPreferences:
      protocolVersion === "2.5" ? legacyBodyPreferences(options, mimeSupport, mimeTruncation, bad) : parseBodyPreferences(options, bad),
    ...(protocolVersion ? partPreference(parseBodyPartPreference(options, bad, unsupported, protocolVersion)) : {}),
    mimeSupport,
    mimeTruncation,
    conflict,
  };
}

/** `{ bodyPartPreference }` when there is one (absent otherwise: cached options stay as they were written). */
export function partPreference(p: BodyPreference | undefined): { bodyPartPreference?: BodyPreference } {
  return p ? { bodyPartPreference: p } : {};
}
