import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import { ServiceError } from "../service/errors";
import { logError } from "../observability/log";

/** RFC 9457 problem details. */
export function problem(c: Context, status: number, title: string, detail: string, extra: Record<string, unknown> = {}) {
  return new Response(JSON.stringify({ type: "about:blank", title, status, detail, instance: new URL(c.req.url).pathname, ...extra }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

export function errorToProblem(err: unknown, c: Context): Response {
  if (err instanceof ServiceError) return problem(c, err.status, err.title, err.message, err.extra);
  if (err instanceof HTTPException) return problem(c, err.status, err.status === 400 ? "Bad request" : "Error", err.message);
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    return problem(c, 400, "Invalid request", issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; "), { issues });
  }
  if (err instanceof SyntaxError) return problem(c, 400, "Bad request", `body is not valid JSON: ${err.message}`);
  logError("admin", err);
  return problem(c, 500, "Internal error", "the request could not be completed; see the server log");
}
