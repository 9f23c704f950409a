// What a backend hands the store contract (mail-contract.ts, pim-contract.ts): a way to run code with its
// store inside the mailbox object that holds the store's SQLite, a way to end that object (eviction: memory
// gone, storage kept) and the capabilities it declares. A capability is a claim the contract checks, never
// a silent skip: a backend that says "no PIM folders" is tested for refusing them.
import type { PimStore } from "../../../src/store/pim-types";
import type { MailStore } from "../../../src/store/types";

export interface MailCapabilities {
  /**
   * Where calendars, address books and task lists sit next to the mail folders:
   * - "own": createFolder makes them (the built-in store keeps PIM folders in the same folder tree);
   * - "listed": listFolders shows them (a bridge's DAV collections), createFolder refuses PIM types;
   * - "none": a mail-only backend (IMAP): no PIM folder is listed and createFolder refuses PIM types.
   * In every case mail is never appended or moved into such a folder.
   */
  pimFolders: "own" | "listed" | "none";
}

export interface MailBackend {
  /** Shown in the test names. */
  name: string;
  caps: MailCapabilities;
  /** Runs `fn` with the backend's store inside its mailbox object (same storage every call). */
  run<T>(fn: (store: MailStore) => Promise<T>): Promise<T>;
  /** Ends the mailbox object: in-memory state is gone, its storage (and the server's data) kept. */
  restart(): Promise<void>;
}

export interface PimCapabilities {
  /** A Notes collection (VJOURNAL) is listed: the built-in store has one; CalDAV servers rarely do. */
  notes: boolean;
  /**
   * A write by id may give the object another UID (the built-in store rewrites it in place). A CalDAV or
   * CardDAV server may refuse to change the UID of a resource (Radicale: 409): then the write is a conflict
   * (PimConflictError) and the stored object is kept.
   */
  uidChange: boolean;
}

export interface PimBackend {
  name: string;
  caps: PimCapabilities;
  run<T>(fn: (store: PimStore) => Promise<T>): Promise<T>;
  restart(): Promise<void>;
}
