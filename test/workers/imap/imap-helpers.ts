// Helpers for the IMAP store tests: a store in a mailbox Durable Object's storage pointed at the test
// Dovecot, and a second, independent IMAP session playing "another mail client" (webmail, desktop).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { ImapSession, q, Literal } from "../../../src/store/imap/connection";
import { ImapStore, type ImapStoreConfig } from "../../../src/store/imap/store";
import { itemIdOf } from "../../../src/store/imap/wire";
import { str } from "../../../src/store/imap/parser";

export const dovecot = inject("dovecot");

export function config(user: string, tls: "none" | "implicit" = "implicit"): ImapStoreConfig {
  return {
    endpoint: { host: dovecot.host, port: tls === "implicit" ? dovecot.imapsPort : dovecot.imapPort, tls },
    credentials: { user, password: `${user} secret` },
    idleMs: 50,
  };
}

/** Runs `fn` with an ImapStore living in the mailbox object `mailbox` (its SQLite), closed afterwards. */
export function withStore<T>(mailbox: string, cfg: ImapStoreConfig, fn: (store: ImapStore) => Promise<T>): Promise<T> {
  return runInDurableObject(env.MAILBOX.getByName(mailbox), async (_instance, state) => {
    const store = new ImapStore(state.storage, cfg);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  });
}

/** Another IMAP client of the same account (plain loopback port). */
export async function otherClient<T>(user: string, fn: (c: OtherClient) => Promise<T>): Promise<T> {
  const s = await ImapSession.open({ host: dovecot.host, port: dovecot.imapPort, tls: "none" }, { user, password: `${user} secret` });
  try {
    return await fn(new OtherClient(s));
  } finally {
    await s.close();
  }
}

export class OtherClient {
  constructor(readonly s: ImapSession) {}

  async append(mailbox: string, raw: string, flags = ""): Promise<number> {
    const r = await this.s.command([
      "APPEND",
      q(mailbox),
      `(${flags})`,
      new Literal(new TextEncoder().encode(raw.replace(/\r?\n/g, "\r\n"))),
    ]);
    return Number(str(r.done.code![2]));
  }

  async select(mailbox: string): Promise<void> {
    await this.s.command(["SELECT", q(mailbox)]);
  }

  async store(mailbox: string, uid: number, op: string, flags: string): Promise<void> {
    await this.select(mailbox);
    await this.s.command(["UID", "STORE", String(uid), op, `(${flags})`]);
  }

  async flags(mailbox: string, uid: number): Promise<string[]> {
    await this.select(mailbox);
    const r = await this.s.command(["UID", "FETCH", String(uid), "(FLAGS)"]);
    const f = r.untagged.find((u) => str(u.tokens[1]) === "FETCH");
    if (!f) return [];
    const list = f.tokens[2] as unknown[];
    const i = list.indexOf("FLAGS");
    return (list[i + 1] as string[]).map(String);
  }

  async uids(mailbox: string): Promise<number[]> {
    await this.select(mailbox);
    const r = await this.s.command(["UID", "SEARCH", "ALL"]);
    return r.untagged.filter((u) => str(u.tokens[0]) === "SEARCH").flatMap((u) => u.tokens.slice(1).map((t) => Number(str(t))));
  }

  async expunge(mailbox: string, uid: number): Promise<void> {
    await this.store(mailbox, uid, "+FLAGS.SILENT", "\\Deleted");
    await this.s.command(["UID", "EXPUNGE", String(uid)]);
  }

  async mailboxes(): Promise<string[]> {
    const r = await this.s.command(["LIST", '""', '"*"']);
    return r.untagged.filter((u) => str(u.tokens[0]) === "LIST").map((u) => str(u.tokens[3]));
  }

  async validity(mailbox: string): Promise<number> {
    const r = await this.s.command(["STATUS", q(mailbox), "(UIDVALIDITY)"]);
    const st = r.untagged.find((u) => str(u.tokens[0]) === "STATUS")!.tokens[2] as string[];
    return Number(st[st.indexOf("UIDVALIDITY") + 1]);
  }

  async run(...args: string[]): Promise<void> {
    await this.s.command(args);
  }
}

/** The store's id for a UID of `mailbox` ("<UIDVALIDITY>-<UID>"), given the account's user. */
export async function itemIdFor(user: string, mailbox: string): Promise<(uid: number) => string> {
  const v = await otherClient(user, (c) => c.validity(mailbox));
  return (uid) => itemIdOf(v, uid);
}

export function message(subject: string, body = "Hello from the test.\n"): string {
  return `From: Sender <sender@example.test>\nTo: user@example.test\nSubject: ${subject}\nDate: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <${crypto.randomUUID()}@example.test>\nContent-Type: text/plain; charset=utf-8\n\n${body}`;
}
