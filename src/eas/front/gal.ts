// The domain's address book (GAL) as commands see it: an interface the front door puts in the command context,
// already bound to the caller (and so to the caller's own domain). Implemented in src/service/gal.ts (D1);
// commands never touch D1.

/** One person or address of the caller's domain ([MS-ASCMD] 2.2.4 GAL namespace). */
export interface GalEntry {
  /** The primary address (gal:EmailAddress). */
  address: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  /** gal:Alias: the address's local part, as Exchange shows a mailbox alias. */
  alias?: string;
  phone?: string;
  mobilePhone?: string;
  homePhone?: string;
  title?: string;
  company?: string;
  office?: string;
  /** Photo bytes as base64 (gal:Picture Data), when an admin gave one. */
  photo?: string;
  /** The address has a mailbox of this service (so its calendar can answer for availability). */
  mailbox: boolean;
}

export interface GalProvider {
  /**
   * Entries of the caller's domain, and only of it, that match every word of `query` as the prefix of a word of
   * their display name, first or last name, alias or address (the ANR properties, MS-ASCMD_R421, R425), sorted
   * by display name: `limit` of them from `offset`, and how many match in all.
   */
  search(query: string, offset: number, limit: number): Promise<{ total: number; entries: GalEntry[] }>;
}
