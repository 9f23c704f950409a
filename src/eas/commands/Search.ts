// Search ([MS-ASCMD] 2.2.1.16): Store=Mailbox → mailbox.search() → Result per hit with LongId.
import { child, childText, el, type WbxmlElement } from "../../wbxml/index";
import type { MailboxSearchResult } from "../../mailbox/contract";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { mailProperties } from "../front/email-props";
import { parseMailboxSearch, SearchParseError, SearchParseStatus } from "../front/search-request";

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

export const SearchCommand: EasCommand = {
  name: "Search",
  async handle(req: EasRequest): Promise<EasResponse> {
    const store = req.body?.name === "Search" ? child(req.body, "Store", "Search") : undefined;
    if (!store) return searchResponse(storeStatus(SearchParseStatus.InvalidRequest));
    const name = childText(store, "Name", "Search")?.trim().toLowerCase();
    if (name !== "mailbox") return searchResponse(storeStatus(SearchParseStatus.InvalidRequest));
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
