import { type OofMessage, type OofSettings, OofSettingsSchema } from "./contract";
import { createIfMissing, hasTable } from "../store/ddl";

export const OOF_DISABLED: OofSettings = { state: 0, messages: [] };

/** The parts of an incoming message the auto-reply decision reads (postal-mime's `Email` fits). */
export interface IncomingForOof {
  /** Envelope sender (Return-Path / MAIL FROM); "" for a bounce. Falls back to From when unknown. */
  envelopeFrom?: string;
  from?: { address?: string };
  headers: { key: string; value: string }[];
}

export type OofDecision = { reply: false; reason: string } | { reply: true; to: string; message: OofMessage };

/**
 * Whether the built-in store sends an out-of-office reply to this message (RFC 3834 §2: never to automatic
 * mail, lists or bulk; never to bounces). Once-per-sender-per-period is checked by the caller against storage.
 */
export function decideOofReply(settings: OofSettings, mailboxAddress: string, msg: IncomingForOof, now: Date): OofDecision {
  if (settings.state === 0) return { reply: false, reason: "oof off" };
  if (settings.state === 2) {
    const start = settings.start ? Date.parse(settings.start) : NaN;
    const end = settings.end ? Date.parse(settings.end) : NaN;
    if (!(now.getTime() >= start && now.getTime() < end)) return { reply: false, reason: "outside the oof period" };
  }
  const header = (name: string) => msg.headers.find((h) => h.key.toLowerCase() === name)?.value.trim();
  const sender = (msg.envelopeFrom ?? msg.from?.address ?? "").trim().replace(/^<|>$/g, "").toLowerCase();
  if (!sender?.includes("@")) return { reply: false, reason: "no sender (bounce)" };
  const local = sender.split("@")[0]!;
  if (
    /^(mailer-daemon|postmaster|listserv|majordomo|no-?reply|bounces?)$/.test(local) ||
    local.startsWith("owner-") ||
    local.endsWith("-request")
  )
    return { reply: false, reason: "automated sender" };
  if (sender === mailboxAddress.toLowerCase()) return { reply: false, reason: "own address" };
  const autoSubmitted = header("auto-submitted");
  if (autoSubmitted && autoSubmitted.toLowerCase() !== "no") return { reply: false, reason: "auto-submitted" };
  const precedence = header("precedence")?.toLowerCase();
  if (precedence && ["bulk", "list", "junk"].includes(precedence)) return { reply: false, reason: `precedence ${precedence}` };
  if (header("list-id") || header("list-unsubscribe") || header("list-post")) return { reply: false, reason: "mailing list" };
  const suppress = header("x-auto-response-suppress")?.toLowerCase() ?? "";
  if (/\b(oof|all)\b/.test(suppress)) return { reply: false, reason: "suppressed by sender" };

  const internal = sender.split("@")[1] === mailboxAddress.toLowerCase().split("@")[1];
  const order: OofMessage["appliesTo"][] = internal ? ["internal"] : ["external-unknown", "external-known"];
  for (const audience of order) {
    const m = settings.messages.find((x) => x.appliesTo === audience);
    if (m?.enabled && m.replyMessage) return { reply: true, to: sender, message: m };
  }
  return { reply: false, reason: internal ? "no internal message" : "no external message" };
}

/** Storage of the settings and of who got a reply in the current period (in the mailbox object's SQLite). */
// Its tables are made by the first write (a Set, a reply claimed): every delivery reads the settings, and a
// mailbox that never had out-of-office set (most) has no table to read, so "off" costs no statement (ddl.ts hasTable).
export class OofStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Before a write: the tables exist. */
  private made(): void {
    createIfMissing(
      this.sql,
      "CREATE TABLE IF NOT EXISTS oof_settings (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, generation INTEGER NOT NULL)",
    );
    createIfMissing(
      this.sql,
      "CREATE TABLE IF NOT EXISTS oof_replies (sender TEXT PRIMARY KEY, generation INTEGER NOT NULL, sent_at INTEGER NOT NULL)",
    );
  }

  get(): { settings: OofSettings; generation: number } {
    if (!hasTable(this.sql, "oof_settings")) return { settings: OOF_DISABLED, generation: 0 };
    const row = this.sql.exec<{ json: string; generation: number }>("SELECT json, generation FROM oof_settings WHERE id = 1").toArray()[0];
    if (!row) return { settings: OOF_DISABLED, generation: 0 };
    const parsed = OofSettingsSchema.safeParse(JSON.parse(row.json));
    return { settings: parsed.success ? parsed.data : OOF_DISABLED, generation: Number(row.generation) };
  }

  /** Every Set starts a new period: senders get one reply per period. */
  set(settings: OofSettings): void {
    const generation = this.get().generation + 1;
    this.made();
    this.sql.exec(
      "INSERT INTO oof_settings (id, json, generation) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json, generation = excluded.generation",
      JSON.stringify(settings),
      generation,
    );
    this.sql.exec("DELETE FROM oof_replies WHERE generation < ?", generation);
  }

  /** True (and remembered) when this sender has not had a reply in the current period. */
  claimReply(sender: string, now = Date.now()): boolean {
    const { generation } = this.get();
    this.made();
    const done = this.sql.exec("SELECT 1 FROM oof_replies WHERE sender = ? AND generation = ?", sender, generation).toArray().length > 0;
    if (done) return false;
    this.sql.exec(
      "INSERT INTO oof_replies (sender, generation, sent_at) VALUES (?, ?, ?) ON CONFLICT(sender) DO UPDATE SET generation = excluded.generation, sent_at = excluded.sent_at",
      sender,
      generation,
      now,
    );
    return true;
  }
}
