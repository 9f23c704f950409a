// The platform's floor for issue 4 (b), measured by bench/push-profile.mjs --floor with the same client as bench:push:
// one SQLite-backed object per "mailbox" holding one hibernatable WebSocket for a parked request, woken by an RPC
// that only sends on the socket. No auth, no D1, no store, no sync state: what remains is the runtime's own
// work (start an evicted object, restore its socket, deliver the message, answer the held HTTP request).
import { DurableObject } from "cloudflare:workers";

export class Box extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Same trace line as the Mailbox, so the bench counts evictions the same way.
    console.log(`[push] mailbox-constructed ${ctx.id.toString()}`);
  }
  async fetch() {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }
  /** `raw` (PUSH_FLOOR_STORE=1): the message is stored first, one INSERT, as a delivery would before it wakes. */
  async wake(raw) {
    if (raw) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)");
      this.ctx.storage.sql.exec("INSERT INTO messages (raw) VALUES (?)", raw);
    }
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) {
      ws.send("changes");
      ws.close(1000, "changes");
      n++;
    }
    return n;
  }
  async webSocketClose() {}
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const stub = env.BOX.getByName(url.searchParams.get("u") ?? "");
    if (url.pathname === "/park") {
      const ws = (await stub.fetch("https://box/", { headers: { Upgrade: "websocket" } })).webSocket;
      ws.accept();
      return new Promise((resolve) => {
        ws.addEventListener("message", (e) => {
          ws.close(1000);
          resolve(new Response(String(e.data)));
        });
        ws.addEventListener("close", () => resolve(new Response("closed")));
      });
    }
    if (url.pathname === "/wake") {
      const raw = url.searchParams.has("store") ? await request.arrayBuffer() : undefined;
      return new Response(String(await stub.wake(raw)), { status: 201 });
    }
    return new Response("ok");
  },
};
