// The platform's floor for issue 4 (b), measured by bench/push-profile.mjs --floor with the same client as bench:push:
// one SQLite-backed object per "mailbox" holding one hibernatable WebSocket for a parked request, woken by an RPC
// that only sends on the socket. No auth, no D1, no store, no sync state: what remains is the runtime's own
// work (start an evicted object, restore its socket, deliver the message, answer the held HTTP request).
// Opt-in platform work a real delivery must do (the default floor, none of it, is issue 15's reference):
// `&store` / `&statements=S` on /wake (PUSH_FLOOR_STORE, PUSH_FLOOR_STATEMENTS), `&tables=K` on /park
// (PUSH_FLOOR_TABLES), `&d1` on /wake: one D1 read of the recipient's login before the RPC (PUSH_FLOOR_D1, with
// wrangler-d1.toml, which binds the project's D1 database), `&log` on both: one console line each, the size of
// our admin delivery's and our request's log lines (PUSH_FLOOR_LOGS; the floor's eviction line stays either way).
import { DurableObject } from "cloudflare:workers";

export class Box extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Same trace line as the Mailbox, so the bench counts evictions the same way.
    console.log(`[push] mailbox-constructed ${ctx.id.toString()}`);
  }
  async fetch(request) {
    // PUSH_FLOOR_TABLES=K: the object holds K tables with one index each, as a schema the size of a mailbox's
    // (what SQLite reads and parses on every start of the object), made once, when the request parks.
    const tables = Number(request.headers.get("x-tables") ?? 0);
    for (let i = 0; i < tables; i++)
      this.ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS t${i} (id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, collection_id TEXT NOT NULL, modseq INTEGER NOT NULL DEFAULT 0, flags INTEGER, body BLOB, UNIQUE (device_id, collection_id));
         CREATE INDEX IF NOT EXISTS t${i}_modseq ON t${i} (modseq, id)`,
      );
    // PUSH_FLOOR_PARK_STATEMENTS=S: S one-row statements when the request parks, each its own text (each prepared and
    // kept in the runtime's per-object statement cache, as every statement a mailbox runs when a Ping parks), the
    // last of them a write (what registering a wait costs: a transaction, its WAL frames).
    const statements = Number(request.headers.get("x-park-statements") ?? 0);
    // With x-park-multi (PUSH_FLOOR_PARK_MULTI=1) the S statements are one exec, one text: what the runtime's
    // statement cache keeps of a multi-statement exec.
    if (statements > 0) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS parked (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)");
      const reads = Array.from({ length: statements - 1 }, (_, i) => `SELECT id, at AS n${i} FROM parked WHERE id = ${i + 1}`);
      const write = `INSERT OR REPLACE INTO parked (id, at) VALUES (1, ${Date.now()})`;
      if (request.headers.get("x-park-multi") === "1") this.ctx.storage.sql.exec([...reads, write].join(";\n"));
      else {
        for (const r of reads) this.ctx.storage.sql.exec(r).toArray();
        this.ctx.storage.sql.exec("INSERT OR REPLACE INTO parked (id, at) VALUES (1, ?)", Date.now());
      }
    }
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }
  /** `raw` (PUSH_FLOOR_STORE=1): the message is stored first, one INSERT, as a delivery would before it wakes. */
  async wake(raw, statements = 0) {
    if (raw) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)");
      this.ctx.storage.sql.exec("INSERT INTO messages (raw) VALUES (?)", raw);
    }
    // PUSH_FLOOR_STATEMENTS=S: S more statements, each a different text (so each is prepared on the fresh
    // connection, as every statement of a woken mailbox is), each reading one row by key.
    for (let i = 0; i < statements; i++)
      this.ctx.storage.sql.exec(`SELECT id, length(raw) AS n${i} FROM messages WHERE id = ?`, i + 1).toArray();
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) {
      ws.send("changes");
      ws.close(1000, "changes");
      n++;
    }
    return n;
  }
  /** PUSH_FLOOR_RPC=1: one JS RPC from the Worker before the request parks (as a Ping's preparePing). */
  async hello(deviceId) {
    return { ok: true, deviceId };
  }
  async webSocketClose() {}
}

/** A JSON log line of about `size` characters, as the project's logEvent writes (src/observability/log.ts). */
const logLine = (kind, size) => {
  const line = { ts: new Date().toISOString(), kind, request_id: crypto.randomUUID(), pad: "" };
  line.pad = "x".repeat(Math.max(0, size - JSON.stringify(line).length));
  return JSON.stringify(line);
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const stub = env.BOX.getByName(url.searchParams.get("u") ?? "");
    const log = url.searchParams.has("log");
    if (url.pathname === "/park") {
      if (url.searchParams.get("rpc") === "1") await stub.hello(url.searchParams.get("u"));
      const headers = {
        Upgrade: "websocket",
        "x-tables": url.searchParams.get("tables") ?? "0",
        "x-park-statements": url.searchParams.get("statements") ?? "0",
        "x-park-multi": url.searchParams.get("multi") ?? "0",
      };
      const ws = (await stub.fetch("https://box/", { headers })).webSocket;
      ws.accept();
      return new Promise((resolve) => {
        ws.addEventListener("message", (e) => {
          ws.close(1000);
          resolve(new Response(String(e.data)));
          if (log) console.log(logLine("request", 330));
        });
        ws.addEventListener("close", () => resolve(new Response("closed")));
      });
    }
    if (url.pathname === "/wake") {
      const raw = url.searchParams.has("store") ? await request.arrayBuffer() : undefined;
      const statements = Number(url.searchParams.get("statements") ?? 0);
      if (url.searchParams.has("d1"))
        await env.DB.prepare("SELECT address FROM accounts WHERE address = ?")
          .bind(`bench${url.searchParams.get("u")}@example.test`)
          .all();
      const res = new Response(String(await stub.wake(raw, statements)), { status: 201 });
      if (log) console.log(logLine("admin", 170));
      return res;
    }
    return new Response("ok");
  },
};
