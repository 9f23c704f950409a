// The platform's floor for issue 15 target 1, measured by bench/sync-profile.ts beside our Sync pages, in the same
// run and with the same client: a POST goes Worker → one Durable Object over RPC → back as the HTTP body, and the
// body is the very bytes one of our Sync pages sent (the bench captures them from our run and hands them over once,
// `/put`). The Worker times the RPC with performance.now() as src/eas/commands/Sync.ts does and reports it the same
// way (Server-Timing `mailbox`), with the headers our page carried. No WBXML, no login, no store, no sync state:
// what remains is the runtime's own cost of "phone → Worker → object RPC → phone" for a page of that size.
//
//   POST /page?w=100&i=3              (a) the page's bytes from the object's memory
//   POST /page?w=100&i=3&d1=1         (b) the same after one D1 read of one row (the platform's cost of a login read)
//   POST /page?w=100&i=3&tree=1       (c) the object returns the page as a plain object tree of the shape of our
//                                         SyncResult (one object per Add, its fields as strings), the Worker sends
//                                         the captured bytes: the structured clone of a tree instead of one buffer
//   POST /put?w=100&i=3 (body: the page's bytes; header x-floor-headers: our page's headers as JSON;
//                        header x-floor-tree: 1 when the body is the tree, as JSON)
import { DurableObject } from "cloudflare:workers";

export class Box extends DurableObject {
  pages = new Map();
  trees = new Map();

  /** Kept in memory; also in the object's storage, so that an eviction (wrangler dev, ~10 s idle) loses nothing. */
  async put(key, bytes, tree) {
    if (tree) {
      this.trees.set(key, tree);
      await this.ctx.storage.put(`t:${key}`, tree);
    } else {
      this.pages.set(key, bytes);
      await this.ctx.storage.put(`p:${key}`, bytes);
    }
  }
  async page(key) {
    let p = this.pages.get(key);
    if (!p) this.pages.set(key, (p = await this.ctx.storage.get(`p:${key}`)));
    return p;
  }
  async tree(key) {
    let t = this.trees.get(key);
    if (!t) this.trees.set(key, (t = await this.ctx.storage.get(`t:${key}`)));
    return t;
  }
}

/** Our page's headers, per WindowSize and page (the Server-Timing is replaced by the floor's own). */
const headersOf = new Map();
const bytesOf = new Map();

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = `${url.searchParams.get("w")}:${url.searchParams.get("i")}`;
    const box = env.BOX.getByName("box");
    if (url.pathname === "/put") {
      const tree = request.headers.get("x-floor-tree") === "1";
      const body = tree ? await request.json() : new Uint8Array(await request.arrayBuffer());
      await box.put(key, tree ? undefined : body, tree ? body : undefined);
      if (!tree) {
        headersOf.set(key, JSON.parse(request.headers.get("x-floor-headers") ?? "{}"));
        bytesOf.set(key, body);
      }
      await env.DB.exec("CREATE TABLE IF NOT EXISTS accounts (address TEXT PRIMARY KEY, password TEXT, locked INTEGER)");
      await env.DB.prepare("INSERT OR IGNORE INTO accounts VALUES (?1, 'digest', 0)").bind("floor@example.test").run();
      return new Response("stored", { status: 201 });
    }
    if (url.pathname !== "/page") return new Response("ok");
    // The request's body is read as ours is (a Sync request of ~100 bytes).
    await request.arrayBuffer();
    const timings = [];
    if (url.searchParams.has("d1")) {
      const t = performance.now();
      const row = await env.DB.prepare("SELECT address, password, locked FROM accounts WHERE address = ?1")
        .bind("floor@example.test")
        .first();
      if (!row) return new Response("no row", { status: 500 });
      timings.push(`auth;dur=${(performance.now() - t).toFixed(1)}`);
    }
    const started = performance.now();
    let body;
    if (url.searchParams.has("tree")) {
      const tree = await box.tree(key);
      if (!tree) return new Response("no tree", { status: 404 });
      body = bytesOf.get(key);
    } else body = await box.page(key);
    timings.push(`mailbox;dur=${(performance.now() - started).toFixed(1)}`);
    if (!body) return new Response("no page", { status: 404 });
    const headers = { ...headersOf.get(key), "Server-Timing": timings.join(", ") };
    return new Response(body, { status: 200, headers });
  },
};
