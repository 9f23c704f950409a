// Per-device protocol traces for the support desk (issue 17 §5). An admin switches tracing on for one device
// or the whole mailbox ("*") for a limited time; the front door asks with every request (in the answer of the
// per-request device touch, so no extra round trip) and hands each traced exchange here, which stores it in R2
// under `trace/<object id>/<device id>/` within a byte cap per session. Old traces are pruned by the daily cron
// (TRACE_RETENTION_DAYS) and go with the mailbox when it is deleted.

import { ALL_DEVICES, type TraceDirective, type TraceEntry, type TraceFile, type TraceSession } from "./contract";
import { createIfMissing, hasTable } from "../store/ddl";

type Row = Record<string, SqlStorageValue>;

export class TraceSessions {
  #sessions?: Map<string, TraceSession>;

  constructor(
    private readonly sql: SqlStorage,
    private readonly bucket: R2Bucket,
    /** `trace/<object id>`: this mailbox's traces in the shared bucket. */
    readonly prefix: string,
  ) {}

  /** All sessions, read once per object instance: the per-request check costs no SQLite read. */
  #all(): Map<string, TraceSession> {
    if (!this.#sessions) {
      this.#sessions = new Map();
      // The table is made by the first session started (issue 15 target 3): most mailboxes are never traced, and
      // every request asks (a missing table: no session, ddl.ts hasTable).
      if (hasTable(this.sql, "trace_sessions"))
        for (const r of this.sql.exec<Row>("SELECT * FROM trace_sessions")) this.#sessions.set(String(r.target), toSession(r));
    }
    return this.#sessions;
  }

  list(): TraceSession[] {
    return [...this.#all().values()];
  }

  /** The session covering this device now (its own first, else the mailbox-wide one), or undefined. */
  #active(deviceId: string, now: number): TraceSession | undefined {
    const all = this.#all();
    for (const target of [deviceId, ALL_DEVICES]) {
      const s = all.get(target);
      if (s && s.until > now) return s;
    }
    return undefined;
  }

  directive(deviceId: string, now = Date.now()): TraceDirective | undefined {
    const s = this.#active(deviceId, now);
    return s && { fullBodies: s.fullBodies };
  }

  /** Starts (or restarts, resetting the counters) tracing for a device or "*". */
  start(target: string, minutes: number, fullBodies: boolean, maxBytes: number, now = Date.now()): TraceSession {
    const s: TraceSession = {
      target,
      startedAt: now,
      until: now + minutes * 60_000,
      fullBodies,
      maxBytes,
      bytes: 0,
      entries: 0,
      dropped: 0,
    };
    createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS trace_sessions (
      target TEXT PRIMARY KEY, started_at INTEGER NOT NULL, until INTEGER NOT NULL, full_bodies INTEGER NOT NULL,
      max_bytes INTEGER NOT NULL, bytes INTEGER NOT NULL DEFAULT 0, entries INTEGER NOT NULL DEFAULT 0,
      dropped INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID`,
    );
    this.sql.exec(
      `INSERT OR REPLACE INTO trace_sessions (target, started_at, until, full_bodies, max_bytes, bytes, entries, dropped)
       VALUES (?, ?, ?, ?, ?, 0, 0, 0)`,
      target,
      s.startedAt,
      s.until,
      fullBodies ? 1 : 0,
      maxBytes,
    );
    this.#all().set(target, s);
    return s;
  }

  /** Ends tracing for a device or "*" now (what was stored stays until retention). */
  stop(target: string, now = Date.now()): TraceSession | undefined {
    const s = this.#all().get(target);
    if (!s) return undefined;
    s.until = Math.min(s.until, now);
    this.sql.exec("UPDATE trace_sessions SET until = ? WHERE target = ?", s.until, target);
    return s;
  }

  /** Stores one exchange when a session covers it and its cap allows; false otherwise. */
  async append(e: TraceEntry, now = Date.now()): Promise<boolean> {
    const s = this.#active(e.deviceId, now);
    if (!s) return false;
    const text = new TextEncoder().encode(e.text);
    const size = text.length + (e.requestWbxml?.length ?? 0) + (e.responseWbxml?.length ?? 0);
    if (s.bytes + size > s.maxBytes) {
      s.dropped++;
      this.sql.exec("UPDATE trace_sessions SET dropped = dropped + 1 WHERE target = ?", s.target);
      return false;
    }
    // Counted before the writes, so concurrent exchanges of the device cannot overshoot the cap together.
    s.bytes += size;
    s.entries++;
    this.sql.exec("UPDATE trace_sessions SET bytes = ?, entries = ? WHERE target = ?", s.bytes, s.entries, s.target);
    const base = `${this.prefix}/${safe(e.deviceId)}/${new Date(e.at).toISOString()}_${safe(e.requestId)}`;
    const meta = { deviceId: e.deviceId, requestId: e.requestId, at: String(e.at), cmd: e.cmd, httpStatus: String(e.httpStatus) };
    await Promise.all([
      this.bucket.put(`${base}.txt`, text, {
        httpMetadata: { contentType: "text/plain; charset=utf-8" },
        customMetadata: { ...meta, part: "text" },
      }),
      e.requestWbxml && this.bucket.put(`${base}.request.wbxml`, e.requestWbxml, { customMetadata: { ...meta, part: "request.wbxml" } }),
      e.responseWbxml &&
        this.bucket.put(`${base}.response.wbxml`, e.responseWbxml, { customMetadata: { ...meta, part: "response.wbxml" } }),
    ]);
    return true;
  }

  /** Stored trace files of this mailbox (one device, or all), oldest first. */
  async files(deviceId?: string, limit = 1000): Promise<TraceFile[]> {
    const prefix = `${this.prefix}/${deviceId === undefined ? "" : `${safe(deviceId)}/`}`;
    const out: TraceFile[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix, cursor, include: ["customMetadata"] });
      for (const o of page.objects) {
        const m = o.customMetadata ?? {};
        out.push({
          key: o.key.slice(this.prefix.length + 1),
          deviceId: m.deviceId ?? "",
          requestId: m.requestId ?? "",
          at: Number(m.at ?? o.uploaded.getTime()),
          cmd: m.cmd ?? "",
          httpStatus: Number(m.httpStatus ?? 0),
          part: m.part ?? "",
          size: o.size,
        });
        if (out.length >= limit) return out;
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return out.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  }

  /** One stored file by the key `files` returned (relative to this mailbox), or null. */
  async read(key: string): Promise<{ body: Uint8Array; contentType: string } | null> {
    if (key.includes("..") || key.startsWith("/")) return null;
    const o = await this.bucket.get(`${this.prefix}/${key}`);
    if (!o) return null;
    return {
      body: new Uint8Array(await o.arrayBuffer()),
      contentType: o.httpMetadata?.contentType ?? "application/vnd.ms-sync.wbxml",
    };
  }
}

/** Device ids are the device's own choice: keep keys to a harmless alphabet. */
function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).slice(0, 200);
}

function toSession(r: Row): TraceSession {
  return {
    target: String(r.target),
    startedAt: Number(r.started_at),
    until: Number(r.until),
    fullBodies: Number(r.full_bodies) === 1,
    maxBytes: Number(r.max_bytes),
    bytes: Number(r.bytes),
    entries: Number(r.entries),
    dropped: Number(r.dropped),
  };
}
