// The console is a client of the admin API (/admin/v1), called in process (no network hop): the same
// routes, checks and audit rows as curl gets. The session stands for the token; the request carries the
// configured token itself and `X-Admin-Actor` with the name staff gave at sign-in (the audit log's actor).
import type { Context } from "hono";
import { adminApp } from "../../admin";

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  ok: boolean;
  body: T;
  /** For an error: the problem's title and detail, as one line for a person. */
  problem: string | null;
}

export class AdminClient {
  constructor(
    private readonly c: Context,
    private readonly actor: string,
  ) {}

  /** The admin API's raw response (a trace file's bytes, say). */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${(this.c.env as Cloudflare.Env).ADMIN_TOKEN}`,
      "x-admin-actor": `console:${this.actor}`,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const origin = new URL(this.c.req.url).origin;
    let ctx: Context["executionCtx"] | undefined;
    try {
      ctx = this.c.executionCtx;
    } catch {} // Hono throws when the runtime gave none
    return adminApp.request(
      `${origin}${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      this.c.env,
      ctx,
    );
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const res = await this.raw(method, path, body);
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    const p = parsed as { title?: string; detail?: string };
    return {
      status: res.status,
      ok: res.ok,
      body: parsed as T,
      problem: res.ok ? null : [p.title, p.detail].filter(Boolean).join(": ") || `HTTP ${res.status}`,
    };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.call<T>("GET", path);
  }
}

export const enc = encodeURIComponent;
