// Find ([MS-ASCMD] 2.2.1.2, protocol 16.1 only): a mailbox or GAL query answered by the engines of Search
// (mailbox.search, the caller's GalProvider), in Find's own response shape.
import { child, childrenNamed, childText, el, elements, text, type WbxmlElement } from "../../wbxml/index";
import { easMailDate } from "../email-props";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { galProperties, parsePicture, pictures } from "./Search";
import { SearchParseError } from "../front/search-request";

const f = (name: string, ...c: Parameters<typeof el>[2][]) => el("Find", name, ...c);

/** [MS-ASCMD] 2.2.3.177.2: 1 success, 2 invalid request, 3 FolderSync required, 4 Range does not start at 0. */
const FindStatus = { Success: 1, InvalidRequest: 2, FolderSyncRequired: 3, StartWithRangeZero: 4 } as const;
/** At most this many results are returned (MS-ASCMD_R37071816: fewer than requested is allowed; R10031996). */
const MAX_RESULTS = 100;
const RANGE = /^\s*([0-9]{1,3})-([0-9]{1,3})\s*$/;

class Invalid extends Error {
  constructor(readonly status: number) {
    super(`Find Status ${status}`);
  }
}

const answer = (status: number, response?: WbxmlElement): EasResponse => ({
  kind: "wbxml",
  body: f("Find", f("Status", status), response),
});

/** Range "m-n" with 0 ≤ m ≤ n ≤ 999 (MS-ASCMD_R37071812); m must be 0 (Status 4). Default 0-99. */
function parseRange(options: WbxmlElement | undefined): number {
  const r = childText(options, "Range", "Find");
  if (r === undefined) return MAX_RESULTS - 1;
  const m = RANGE.exec(r);
  if (!m || Number(m[1]) > Number(m[2])) throw new Invalid(FindStatus.InvalidRequest);
  if (Number(m[1]) !== 0) throw new Invalid(FindStatus.StartWithRangeZero);
  return Math.min(Number(m[2]), MAX_RESULTS - 1);
}

/**
 * FreeText may be KQL (MS-ASCMD_R10031940): property restrictions such as `from:ann subject:lunch` are read as
 * their words, every word required (a superset of what the restriction would match).
 */
function freeTextWords(query: WbxmlElement): string {
  const t = (text(child(query, "FreeText", "Find")) ?? "").slice(0, 1024);
  return t.replace(/\b[A-Za-z]+:/g, " ").trim();
}

async function mailboxFind(req: EasRequest, criterion: WbxmlElement): Promise<EasResponse> {
  const query = child(criterion, "Query", "Find");
  if (!query) throw new Invalid(FindStatus.InvalidRequest);
  const options = child(criterion, "Options", "Find");
  const end = parseRange(options);
  const classes = childrenNamed(query, "Class", "AirSync").map((c) => (text(c) ?? "").trim());
  const collectionIds = childrenNamed(query, "CollectionId", "AirSync").map((c) => (text(c) ?? "").trim());
  const freeText = freeTextWords(query);
  if (!freeText) throw new Invalid(FindStatus.InvalidRequest);
  const result = await req.mailbox.search({
    collectionIds,
    deepTraversal: child(options, "DeepTraversal", "Find") !== undefined,
    classes,
    freeText,
    range: { start: 0, end },
    options: { bodyPreferences: [{ type: 1, truncationSize: 0, preview: 255 }], mimeSupport: 0, protocolVersion: req.protocolVersion },
  });
  // An unknown folder: the device's hierarchy is out of date (Status 3).
  if (result.status === 2) throw new Invalid(FindStatus.FolderSyncRequired);
  if (result.status !== 1 && result.status !== 12) throw new Invalid(FindStatus.InvalidRequest);
  const results = result.hits.map((h) => {
    const m = h.item;
    return f(
      "Result",
      el("AirSync", "Class", "Email"),
      el("AirSync", "ServerId", h.longId),
      el("AirSync", "CollectionId", h.collectionId),
      f(
        "Properties",
        el("Email", "Subject", m.subject),
        el("Email", "DateReceived", easMailDate(m.dateReceived)),
        m.displayTo ? el("Email", "DisplayTo", m.displayTo) : null,
        m.cc ? f("DisplayCc", m.cc) : null,
        el("Email", "Importance", m.importance),
        el("Email", "Read", m.read ? 1 : 0),
        m.body?.preview ? f("Preview", m.body.preview) : null,
        f("HasAttachments", m.attachments.some((a) => !a.isInline) ? 1 : 0),
        m.from ? el("Email", "From", m.from) : null,
      ),
    );
  });
  return answer(
    FindStatus.Success,
    f(
      "Response",
      el("ItemOperations", "Store", "Mailbox"),
      f("Status", FindStatus.Success),
      ...results,
      results.length > 0 && f("Range", `0-${results.length - 1}`),
      f("Total", result.total),
    ),
  );
}

async function galFind(req: EasRequest, criterion: WbxmlElement): Promise<EasResponse> {
  const query = child(criterion, "Query", "Find");
  const options = child(criterion, "Options", "Find");
  const end = parseRange(options);
  const words = query ? (text(child(query, "FreeText", "Find")) ?? "").trim().slice(0, 256) : "";
  if (!words) throw new Invalid(FindStatus.InvalidRequest);
  let picture: ReturnType<typeof parsePicture>;
  try {
    picture = parsePicture(options, "Find");
  } catch (e) {
    if (e instanceof SearchParseError) throw new Invalid(FindStatus.InvalidRequest);
    throw e;
  }
  const found = req.gal ? await req.gal.search(words, 0, end + 1) : { total: 0, entries: [] };
  const pics = pictures(found.entries, picture);
  const results = found.entries.map((e, i) => f("Result", f("Properties", ...galProperties(e, pics[i]))));
  return answer(
    FindStatus.Success,
    f(
      "Response",
      el("ItemOperations", "Store", "GAL"),
      f("Status", FindStatus.Success),
      ...results,
      results.length > 0 && f("Range", `0-${results.length - 1}`),
      f("Total", found.total),
    ),
  );
}

export const FindCommand: EasCommand = {
  name: "Find",
  async handle(req: EasRequest): Promise<EasResponse> {
    // Find exists in 16.1 only (MS-ASCMD_R10032015 … R10032019); its code page too.
    if (req.protocolVersion !== "16.1") return { kind: "http", status: 400 };
    const b = req.body?.name === "Find" && req.body.ns === "Find" ? req.body : undefined;
    const execute = child(b, "ExecuteSearch", "Find");
    const criteria = execute ? elements(execute) : [];
    const c = criteria[0];
    try {
      if (!childText(b, "SearchId", "Find")?.trim() || criteria.length !== 1 || !c) throw new Invalid(FindStatus.InvalidRequest);
      if (c.name === "MailBoxSearchCriterion") return await mailboxFind(req, c);
      if (c.name === "GalSearchCriterion") return await galFind(req, c);
      throw new Invalid(FindStatus.InvalidRequest);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      // Status 4 belongs to the Response (MS-ASCMD_R72172517); the others to the whole command.
      if (e.status !== FindStatus.StartWithRangeZero) return answer(e.status);
      const store = c?.name === "GalSearchCriterion" ? "GAL" : "Mailbox";
      return answer(FindStatus.Success, f("Response", el("ItemOperations", "Store", store), f("Status", e.status)));
    }
  },
};
