// Search Store=Mailbox request ([MS-ASCMD] 2.2.1.16): Query (one And of conditions) and Options → the
// mailbox's MailboxSearchRequest. Every malformed or unsupported shape becomes a Store Status, never a throw.
import { child, childrenNamed, childText, elements, text, type WbxmlElement } from "../../wbxml/index";
import { parseEasDate } from "../../formats/eas-dates";
import type { MailboxSearchRequest } from "../../mailbox/contract";
import { atLeast } from "../protocol-version";
import { conversationIdHex } from "./conversation-id";
import { parseBodyPartPreference, parseBodyPreferences, partPreference } from "./options";

/** [MS-ASCMD] 2.2.3.177.13 Store statuses a request can earn before it runs. */
export const SearchParseStatus = {
  InvalidRequest: 2,
  TooComplex: 8,
  /** [MS-ASCMD] 2.2.2 common status 164: a BodyPartPreference Type other than 2 (MS-ASCMD_R5412). */
  BodyPartTypeNotSupported: 164,
} as const;

export class SearchParseError extends Error {
  constructor(readonly status: number) {
    super(`Search Store Status ${status}`);
  }
}

/** MS-ASCMD_R920: the airsync:Class values of a Search ("SMS" and "Notes" from 14.0, R6288). */
const CLASSES_12 = ["Tasks", "Email", "Calendar", "Contacts"];
const CLASSES_14 = [...CLASSES_12, "Notes", "SMS"];

const RANGE = /^\s*([0-9]{1,4})-([0-9]{1,4})\s*$/;

/** Range "m-n" (MS-ASCMD_R3725); the default 0-99 (MS-ASCMD_R3730, R3733). */
export function parseSearchRange(s: string | undefined): { start: number; end: number } {
  if (s === undefined) return { start: 0, end: 99 };
  const m = RANGE.exec(s);
  if (!m || Number(m[1]) > Number(m[2])) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** The one value of a condition that may appear at most once (MS-ASCMD_R3136, R3212: more is a protocol error). */
function once(els: WbxmlElement[]): WbxmlElement | undefined {
  if (els.length > 1) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  return els[0];
}

/** GreaterThan / LessThan: email:DateReceived compared with Value (MS-ASCMD_R3140). */
function dateCondition(e: WbxmlElement | undefined): number | undefined {
  if (!e) return undefined;
  const value = childText(e, "Value", "Search");
  if (!child(e, "DateReceived", "Email") || value === undefined) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  try {
    return parseEasDate(value);
  } catch {
    throw new SearchParseError(SearchParseStatus.InvalidRequest);
  }
}

export function parseMailboxSearch(store: WbxmlElement, protocolVersion: string): MailboxSearchRequest {
  const query = child(store, "Query", "Search");
  if (!query) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  const top = elements(query);
  // Class, CollectionId, FreeText, ConversationId, GreaterThan and LessThan are children of And only; anywhere
  // else the query is too complex (MS-ASCMD_R923, R2032, R2086, R3105, R3143, R3220). Or and EqualTo are
  // not mailbox conditions.
  if (top.length !== 1 || top[0].name !== "And" || top[0].ns !== "Search") throw new SearchParseError(SearchParseStatus.TooComplex);
  const and = top[0];
  for (const c of elements(and)) {
    const known =
      (c.ns === "AirSync" && (c.name === "Class" || c.name === "CollectionId")) ||
      (c.ns === "Search" && ["FreeText", "ConversationId", "GreaterThan", "LessThan"].includes(c.name));
    if (!known) throw new SearchParseError(SearchParseStatus.TooComplex);
  }
  const allowed = Number.parseFloat(protocolVersion) >= 14 ? CLASSES_14 : CLASSES_12;
  const classes = childrenNamed(and, "Class", "AirSync").map((c) => text(c)?.trim() ?? "");
  if (classes.some((c) => !allowed.includes(c))) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  const collectionIds = childrenNamed(and, "CollectionId", "AirSync").map((c) => text(c)?.trim() ?? "");
  if (collectionIds.some((c) => c === "")) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  // ConversationId (14.0+, MS-ASCMD_R6364: not in 12.x): the bytes of an email2:ConversationId from Sync; more
  // than one is a protocol error (MS-ASCMD_R2088, R5815), as is an empty one.
  const conversation = once(childrenNamed(and, "ConversationId", "Search"));
  let conversationId: string | undefined;
  if (conversation) {
    const hex = atLeast(protocolVersion, "14.0") ? conversationIdHex(conversation) : null;
    if (hex === null) throw new SearchParseError(SearchParseStatus.InvalidRequest);
    conversationId = hex;
  }
  const freeText = once(childrenNamed(and, "FreeText", "Search"));
  const receivedAfter = dateCondition(once(childrenNamed(and, "GreaterThan", "Search")));
  const receivedBefore = dateCondition(once(childrenNamed(and, "LessThan", "Search")));

  const options = child(store, "Options", "Search");
  if (childrenNamed(options, "Range", "Search").length > 1) throw new SearchParseError(SearchParseStatus.InvalidRequest);
  const bad = () => new SearchParseError(SearchParseStatus.InvalidRequest);
  const mime = childText(options, "MIMESupport", "AirSync")?.trim();
  if (mime !== undefined && !/^[0-2]$/.test(mime)) throw bad();
  return {
    collectionIds,
    deepTraversal: child(options, "DeepTraversal", "Search") !== undefined,
    classes,
    freeText: freeText ? (text(freeText) ?? "").slice(0, 1024) : undefined,
    receivedAfter,
    receivedBefore,
    range: parseSearchRange(childText(options, "Range", "Search")),
    ...(conversationId !== undefined ? { conversationId } : {}),
    // RebuildResults (MS-ASCMD_R3755) needs nothing: results are computed afresh on every request, so deleted
    // items are never in them (R3757). BodyPartPreference (14.1+) gives each result its BodyPart as Sync does
    // (MS-ASCON_R235); it is meant for conversation searches (MS-ASCMD_R5568) and honoured in any.
    options: {
      bodyPreferences: parseBodyPreferences(options, bad),
      ...partPreference(
        parseBodyPartPreference(options, bad, () => new SearchParseError(SearchParseStatus.BodyPartTypeNotSupported), protocolVersion),
      ),
      mimeSupport: mime ? Number(mime) : 0,
      protocolVersion,
    },
  };
}
