// The user's own contacts as ResolveRecipients candidates ([MS-ASCMD] 2.2.1.15: "the GAL and the user's
// contacts"): default Contacts folder, every word of the query a prefix of a word of the name or address.
import { parseComponent } from "../formats/ical-util";
import type { PimStore } from "../store/pim-types";
import { searchTokens } from "../store/search-words";
import { FolderType } from "../store/types";
import type { ContactMatch } from "./contract";

/** Contacts examined per request (an address book's cost is bounded). */
const MAX_CONTACTS = 5000;
const PAGE = 500;

const fold = (s: string) =>
  s
    .normalize("NFKC")
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .match(/[\p{L}\p{N}]+/gu) ?? [];

/** One match per e-mail address of the matching contacts, in address-book order, at most `limit`. */
export async function findContacts(pim: PimStore, query: string, limit: number): Promise<{ total: number; matches: ContactMatch[] }> {
  const tokens = searchTokens([query]).flatMap(fold);
  const folder = (await pim.listCollections()).find((f) => f.type === FolderType.Contacts);
  if (!folder || tokens.length === 0) return { total: 0, matches: [] };
  const all: ContactMatch[] = [];
  let afterItemId: string | undefined;
  for (let seen = 0; seen < MAX_CONTACTS; seen += PAGE) {
    const items = await pim.list(folder.id, { afterItemId, limit: PAGE });
    for (const item of items) {
      let card: ReturnType<typeof parseComponent>;
      try {
        card = parseComponent(item.data, "vcard");
      } catch {
        continue;
      }
      const name = String(card.getFirstPropertyValue("fn") ?? "");
      const n = card.getFirstPropertyValue("n");
      const parts = Array.isArray(n) ? n.flat().map(String) : [];
      const emails = card
        .getAllProperties("email")
        .map((p) => String(p.getFirstValue() ?? "").trim())
        .filter(Boolean);
      for (const email of emails) {
        const words = [...fold(name), ...parts.flatMap(fold), ...fold(email)];
        if (tokens.every((t) => words.some((w) => w.startsWith(t)))) all.push({ displayName: name || email, address: email });
      }
    }
    if (items.length < PAGE) break;
    afterItemId = items[items.length - 1]!.itemId;
  }
  return { total: all.length, matches: all.slice(0, limit) };
}
