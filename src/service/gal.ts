// The domain's address book (GAL) from D1: every address the service knows on one domain (built-in accounts,
// mailboxes, bridged or not) with the details an admin added (gal_entries), and the admin's extra entries.
// A D1GalDirectory is bound to one caller and reads only the caller's domain: one customer never sees
// another's addresses.
import type { GalEntry } from "../mailbox/contract";
import { searchTokens } from "../store/search-words";

/** Addresses of one domain read per request (the word check runs on them): a bound on one request's cost. */
const MAX_CANDIDATES = 5000;

interface Row {
  address: string;
  has_mailbox: number;
  display_name: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  mobile_phone: string | null;
  home_phone: string | null;
  title: string | null;
  company: string | null;
  office: string | null;
  aliases: string | null;
  photo: string | null;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

function words(s: string | null | undefined): string[] {
  return (
    (s ?? "")
      .normalize("NFKC")
      .toLowerCase()
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

function aliasesOf(row: Row): string[] {
  try {
    const a = JSON.parse(row.aliases ?? "[]");
    return Array.isArray(a) ? a.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

function entryOf(row: Row): GalEntry {
  const e: GalEntry = {
    address: row.address,
    displayName: row.display_name || [row.first_name, row.last_name].filter(Boolean).join(" ") || row.address,
    alias: row.address.slice(0, row.address.lastIndexOf("@")),
    mailbox: row.has_mailbox === 1,
  };
  for (const [k, v] of [
    ["firstName", row.first_name],
    ["lastName", row.last_name],
    ["phone", row.phone],
    ["mobilePhone", row.mobile_phone],
    ["homePhone", row.home_phone],
    ["title", row.title],
    ["company", row.company],
    ["office", row.office],
    ["photo", row.photo],
  ] as const)
    if (v) e[k] = v;
  return e;
}

export class D1GalDirectory {
  private readonly domain: string;

  /** `caller`: the authenticated address; its domain is the only one this directory reads. */
  constructor(
    private readonly db: D1Database,
    caller: string,
  ) {
    this.domain = domainOf(caller);
  }

  async search(query: string, offset: number, limit: number): Promise<{ total: number; entries: GalEntry[] }> {
    const tokens = searchTokens([query]).flatMap((t) => words(t));
    if (tokens.length === 0) return { total: 0, entries: [] };
    const matches = (await this.rows()).filter((row) => {
      const fields = [
        ...words(row.display_name),
        ...words(row.first_name),
        ...words(row.last_name),
        ...words(row.address),
        ...aliasesOf(row).flatMap(words),
      ];
      return tokens.every((t) => fields.some((f) => f.startsWith(t)));
    });
    const entries = sorted(matches.map(entryOf));
    return { total: entries.length, entries: entries.slice(offset, offset + limit) };
  }

  /** The whole address book of the domain (admin view), sorted by display name. */
  async list(): Promise<GalEntry[]> {
    return sorted((await this.rows()).map(entryOf));
  }

  /**
   * Every address of the domain with its details. The domain decides in SQL (an exact suffix match, no LIKE
   * wildcards); words are checked in `search`, where case and accents fold like the query's ("jose" finds "José").
   */
  private async rows(): Promise<Row[]> {
    if (!this.domain) return [];
    const { results } = await this.db
      .prepare(
        `WITH known(address) AS (
           SELECT address FROM accounts WHERE length(address) > length(?1) + 1 AND substr(address, -length(?1) - 1) = '@' || ?1
           UNION SELECT address FROM mailboxes WHERE domain = ?1
           UNION SELECT address FROM gal_entries WHERE domain = ?1)
         SELECT k.address, (EXISTS (SELECT 1 FROM accounts a WHERE a.address = k.address)
                            OR EXISTS (SELECT 1 FROM mailboxes m WHERE m.address = k.address)) AS has_mailbox, g.display_name, g.first_name, g.last_name, g.phone, g.mobile_phone, g.home_phone, g.title,
                g.company, g.office, g.aliases, g.photo
         FROM known k LEFT JOIN gal_entries g ON g.address = k.address AND g.domain = ?1
         LIMIT ${MAX_CANDIDATES}`,
      )
      .bind(this.domain)
      .all<Row>();
    return results;
  }
}

function sorted(entries: GalEntry[]): GalEntry[] {
  return entries.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.address.localeCompare(b.address));
}

/**
 * What an admin sets for an address (every field optional; absent fields are cleared): an entry's details, with
 * its alias addresses instead of the derived alias; the address and `mailbox` are not set, they are known.
 */
export type GalEntryInput = Partial<Omit<GalEntry, "address" | "alias" | "mailbox">> & { aliases?: string[] };

/** Creates or replaces the details of `address` in its domain's address book. */
export async function putGalEntry(db: D1Database, address: string, input: GalEntryInput, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT OR REPLACE INTO gal_entries (address, domain, display_name, first_name, last_name, phone, mobile_phone, home_phone,
         title, company, office, aliases, photo, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      address,
      domainOf(address),
      input.displayName ?? null,
      input.firstName ?? null,
      input.lastName ?? null,
      input.phone ?? null,
      input.mobilePhone ?? null,
      input.homePhone ?? null,
      input.title ?? null,
      input.company ?? null,
      input.office ?? null,
      JSON.stringify(input.aliases ?? []),
      input.photo ?? null,
      now,
    )
    .run();
}

/** Removes an admin's details (the address stays in the book while it has a mailbox); false when there were none. */
export async function deleteGalEntry(db: D1Database, address: string): Promise<boolean> {
  const r = await db.prepare(`DELETE FROM gal_entries WHERE address = ?`).bind(address).run();
  return r.meta.changes > 0;
}
