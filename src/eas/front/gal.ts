// The domain's address book (GAL) as commands see it: an interface the front door puts in the command context,
// already bound to the caller (and so to the caller's own domain). Implemented in src/service/gal.ts (D1);
// commands never touch D1. The entries' shape, GalEntry, is in mailbox/contract.ts (shared with service/gal.ts).
import type { GalEntry } from "../../mailbox/contract";

export interface GalProvider {
  /**
   * Entries of the caller's domain, and only of it, that match every word of `query` as the prefix of a word of
   * their display name, first or last name, alias or address (the ANR properties, MS-ASCMD_R421, R425), sorted
   * by display name: `limit` of them from `offset`, and how many match in all.
   */
  search(query: string, offset: number, limit: number): Promise<{ total: number; entries: GalEntry[] }>;
}
