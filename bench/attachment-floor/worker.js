// The platform's floor for issue 15 target 4, measured by bench/attachments.bench.ts with the same client as
// the phone: a request goes Worker → one Durable Object → a ranged R2 read → back as the HTTP body. No auth, no
// WBXML, no store, no sync state: what remains is the runtime's own cost of moving a range of a blob.
import { DurableObject } from "cloudflare:workers";

export class Box extends DurableObject {
  async range(key, offset, length) {
    const obj = await this.env.BLOBS.get(key, { range: { offset, length } });
    return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "blob";
    if (url.pathname === "/put") {
      await env.BLOBS.put(key, await request.arrayBuffer());
      return new Response("stored", { status: 201 });
    }
    // The floor's parts: the same bytes from the Worker's memory (HTTP and the dev proxy only), and a ranged R2
    // read in the Worker itself (no Durable Object).
    if (url.pathname === "/memory") return new Response(new Uint8Array(Number(url.searchParams.get("length"))).fill(120));
    if (url.pathname === "/r2") {
      const offset = Number(url.searchParams.get("offset"));
      const length = Number(url.searchParams.get("length"));
      const obj = await env.BLOBS.get(key, { range: { offset, length } });
      return obj ? new Response(obj.body) : new Response("not found", { status: 404 });
    }
    if (url.pathname === "/range") {
      const offset = Number(url.searchParams.get("offset"));
      const length = Number(url.searchParams.get("length"));
      const data = await env.BOX.getByName("box").range(key, offset, length);
      return data ? new Response(data) : new Response("not found", { status: 404 });
    }
    return new Response("ok");
  },
};
