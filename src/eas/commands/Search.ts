// Search ([MS-ASCMD] 2.2.1.16): Store=Mailbox → mailbox.search() → Result per hit with LongId.
import { child, childText, el, text, type WbxmlElement } from "../../wbxml/index";
import type { MailboxSearchResult } from "../../mailbox/contract";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { mailProperties } from "../email-props";
import type { GalEntry } from "../../mailbox/contract";
import { parseMailboxSearch, parseSearchRange, SearchParseError, SearchParseStatus } from "../front/search-request";

const s = (name: string, ...c: Parameters<typeof el>[2][]) => el("Search", name, ...c);

/** The whole answer with one Store: the top-level Status says the command ran (1), the Store's what it found. */
export function searchResponse(store: WbxmlElement): EasResponse {
  return { kind: "wbxml", body: s("Search", s("Status", 1), s("Response", store)) };
}

function storeStatus(status: number): WbxmlElement {
  return s("Store", s("Status", status));
}

export function mailboxStore(r: MailboxSearchResult, protocolVersion: string): WbxmlElement {
  // No match: one empty Result, then Total 0 (MS-ASCMD_R420: the total is always given).
  const results =
    r.hits.length === 0
      ? [s("Result")]
      : r.hits.map((h) =>
          s(
            "Result",
            el("AirSync", "Class", "Email"),
            s("LongId", h.longId),
            el("AirSync", "CollectionId", h.collectionId),
            s("Properties", ...mailProperties(h.item, protocolVersion)),
          ),
        );
  return s("Store", s("Status", r.status), ...results, r.range && s("Range", `${r.range.start}-${r.range.end}`), s("Total", r.total));
}

/** [MS-ASCMD] 2.2.3.177.13 Status of a gal:Picture. */
const PictureStatus = { Success: 1, NoPicture: 173, TooLarge: 174, LimitReached: 175 } as const;
/** MS-ASCMD_R3735: a GAL search returns at most 100 entries (default Range 0-99). */
const MAX_GAL_RESULTS = 100;

function base64Bytes(b64: string): number {
  const clean = b64.replace(/\s/g, "");
  return Math.floor((clean.length * 3) / 4) - (clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0);
}

/** gal: properties of one entry (MS-ASCMD 2.2.4 GAL namespace), with its Picture when asked (14.1+). */
export function galProperties(e: GalEntry, picture: { status: number; data?: string } | undefined): WbxmlElement[] {
  const g = (name: string, v: string | undefined) => (v ? el("GAL", name, v) : null);
  return [
    el("GAL", "DisplayName", e.displayName),
    g("Phone", e.phone),
    g("Office", e.office),
    g("Title", e.title),
    g("Company", e.company),
    g("Alias", e.alias),
    g("FirstName", e.firstName),
    g("LastName", e.lastName),
    g("HomePhone", e.homePhone),
    g("MobilePhone", e.mobilePhone),
    el("GAL", "EmailAddress", e.address),
    picture ? el("GAL", "Picture", el("GAL", "Status", picture.status), picture.data ? el("GAL", "Data", picture.data) : null) : null,
  ].filter((x): x is WbxmlElement => x !== null);
}

/**
 * Pictures for a page of entries ([MS-ASCMD] 2.2.3.135.3): Status 1 with the photo, 173 none, 174 larger than
 * MaxSize bytes, 175 once MaxPictures photos were given (MS-ASCMD_R3295: an entry without a photo stays 173).
 */
export function pictures(entries: GalEntry[], ask: { maxSize?: number; maxPictures?: number } | undefined) {
  if (!ask) return entries.map(() => undefined);
  let given = 0;
  return entries.map((e) => {
    if (!e.photo) return { status: PictureStatus.NoPicture };
    if (ask.maxPictures !== undefined && given >= ask.maxPictures) return { status: PictureStatus.LimitReached };
    if (ask.maxSize !== undefined && base64Bytes(e.photo) > ask.maxSize) return { status: PictureStatus.TooLarge };
    given++;
    return { status: PictureStatus.Success, data: e.photo };
  });
}

/** Picture options of a Search or ResolveRecipients request; undefined when no Picture was asked. */
export function parsePicture(options: WbxmlElement | undefined, ns: string): { maxSize?: number; maxPictures?: number } | undefined {
  const p = child(options, "Picture", ns);
  if (!p) return undefined;
  const num = (name: string) => {
    const v = childText(p, name, ns)?.trim();
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,9}$/.test(v)) throw new SearchParseError(SearchParseStatus.InvalidRequest);
    return Number(v);
  };
  return { maxSize: num("MaxSize"), maxPictures: num("MaxPictures") };
}

/** Search Store=GAL: the caller's domain address book, Range (at most 100, Status 12 beyond) and Picture. */
async function galSearch(req: EasRequest, store: WbxmlElement): Promise<EasResponse> {
  let query: string;
  let range: { start: number; end: number };
  let picture: ReturnType<typeof parsePicture>;
  try {
    query = (text(child(store, "Query", "Search")) ?? "").trim().slice(0, 256);
    if (!query) throw new SearchParseError(SearchParseStatus.InvalidRequest);
    const options = child(store, "Options", "Search");
    range = parseSearchRange(childText(options, "Range", "Search"));
    picture = parsePicture(options, "Search");
  } catch (e) {
    if (e instanceof SearchParseError) return searchResponse(storeStatus(e.status));
    throw e;
  }
  const end = Math.min(range.end, MAX_GAL_RESULTS - 1);
  const status = range.end > end ? 12 : 1;
  const found = req.gal ? await req.gal.search(query, range.start, end - range.start + 1) : { total: 0, entries: [] };
  const pics = pictures(found.entries, picture);
  const results = found.entries.length
    ? found.entries.map((e, i) => s("Result", s("Properties", ...galProperties(e, pics[i]))))
    : [s("Result")];
  return searchResponse(
    s(
      "Store",
      s("Status", status),
      ...results,
      found.entries.length > 0 && s("Range", `${range.start}-${range.start + found.entries.length - 1}`),
      s("Total", found.total),
    ),
  );
}

export const SearchCommand: EasCommand = {
  name: "Search",
  async handle(req: EasRequest): Promise<EasResponse> {
    const store = req.body?.name === "Search" ? child(req.body, "Store", "Search") : undefined;
    if (!store) return searchResponse(storeStatus(SearchParseStatus.InvalidRequest));
    const name = childText(store, "Name", "Search")?.trim().toLowerCase();
    if (name === "gal") return galSearch(req, store);
    // 2.5 searches the GAL only: Store Name "Mailbox" came with 12.0 ([MS-ASCMD] 2.2.3.110.2).
    if (name !== "mailbox" || req.protocolVersion === "2.5") return searchResponse(storeStatus(SearchParseStatus.InvalidRequest));
    let typed: ReturnType<typeof parseMailboxSearch>;
    try {
      typed = parseMailboxSearch(store, req.protocolVersion);
    } catch (e) {
      if (e instanceof SearchParseError) return searchResponse(storeStatus(e.status));
      throw e;
    }
    const started = performance.now();
    const result = await req.mailbox.search(typed);
    const response = searchResponse(mailboxStore(result, req.protocolVersion));
    response.headers = { "Server-Timing": `mailbox;dur=${(performance.now() - started).toFixed(1)}` };
    return response;
  },
};
