// Protocol traces for the support desk (issue 17 §5): switch tracing on for one device or a whole mailbox for
// a limited time, list what was stored, download one exchange (readable text, or a WBXML body for
// `npm run wbxml -- decode`), switch it off. Full bodies only with a reason, which the audit log keeps.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  ALL_DEVICES,
  DEFAULT_TRACE_MAX_BYTES,
  DEFAULT_TRACE_MINUTES,
  MAX_TRACE_MINUTES,
  type TraceFile,
  type TraceSession,
} from "../mailbox/contract";
import { audit } from "../service/audit";
import { notFound, ServiceError } from "../service/errors";
import { mailboxExists } from "../service/mailbox-lifecycle";
import { logEvent } from "../observability/log";
import { newAdminRouter, type AdminEnv } from "./context";
import { Address, json, problemResponses } from "./schemas";

export const traceRoutes = newAdminRouter();
const r = traceRoutes;
const tags = ["traces"];
const AddressParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });
const iso = (ms: number) => new Date(ms).toISOString();

const StartTrace = z
  .object({
    device_id: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .openapi({ description: "One device (its DeviceId); absent: every device of the mailbox" }),
    minutes: z.number().int().min(1).max(MAX_TRACE_MINUTES).default(DEFAULT_TRACE_MINUTES),
    full_bodies: z.boolean().default(false).openapi({ description: "Keep mail bodies and passwords sent in bodies (needs a reason)" }),
    reason: z.string().trim().min(3).max(500).optional().openapi({ description: "Why (required with full_bodies; kept in the audit log)" }),
    max_bytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(200 * 1024 * 1024)
      .default(DEFAULT_TRACE_MAX_BYTES),
  })
  .refine((b) => !b.full_bodies || b.reason, { message: "full_bodies needs a reason", path: ["reason"] });

const Session = z
  .object({
    target: z.string().openapi({ description: 'A DeviceId, or "*" for every device' }),
    started_at: z.string(),
    until: z.string(),
    active: z.boolean(),
    full_bodies: z.boolean(),
    max_bytes: z.number(),
    bytes: z.number(),
    entries: z.number(),
    dropped: z.number().openapi({ description: "Exchanges not stored because the cap was reached" }),
  })
  .openapi("TraceSession");
const File = z
  .object({
    key: z.string(),
    device_id: z.string(),
    request_id: z.string(),
    at: z.string(),
    cmd: z.string(),
    http_status: z.number(),
    part: z.enum(["text", "request.wbxml", "response.wbxml"]),
    size: z.number(),
  })
  .openapi("TraceFile");

function sessionView(s: TraceSession, now = Date.now()): z.infer<typeof Session> {
  return {
    target: s.target,
    started_at: iso(s.startedAt),
    until: iso(s.until),
    active: s.until > now,
    full_bodies: s.fullBodies,
    max_bytes: s.maxBytes,
    bytes: s.bytes,
    entries: s.entries,
    dropped: s.dropped,
  };
}
const fileView = (f: TraceFile) => ({
  key: f.key,
  device_id: f.deviceId,
  request_id: f.requestId,
  at: iso(f.at),
  cmd: f.cmd,
  http_status: f.httpStatus,
  part: f.part as "text",
  size: f.size,
});

async function mailboxOf(c: Context<AdminEnv>, address: string) {
  if (!(await mailboxExists(c.get("deps"), address))) throw notFound("mailbox", address);
  return c.env.MAILBOX.getByName(address);
}

r.openapi(
  createRoute({
    method: "post",
    path: "/mailboxes/{address}/traces",
    tags,
    summary: "Trace one device (or every device of the mailbox) for a limited time (default 1 h, at most 24 h)",
    description:
      "Every request and response of the device is stored in R2 as readable text (headers and XML) and as WBXML. Basic credentials never; mail bodies and passwords sent in bodies are replaced by placeholders unless `full_bodies` (with a `reason`, audit-logged). Starting again resets the session and its byte count.",
    request: { params: AddressParam, body: { content: { "application/json": { schema: StartTrace } }, required: true } },
    responses: { 201: json(Session, "Tracing"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const b = c.req.valid("json");
    const mbx = await mailboxOf(c, address);
    const target = b.device_id ?? ALL_DEVICES;
    const s = (await mbx.startTrace(target, b.minutes, b.full_bodies, b.max_bytes)) as TraceSession;
    const view = sessionView(s);
    await audit(c.get("deps"), b.full_bodies ? "trace.started_full_bodies" : "trace.started", `mailbox:${address}`, null, {
      ...view,
      reason: b.reason ?? null,
    });
    logEvent("admin", { action: "trace.started", target, minutes: b.minutes, full_bodies: b.full_bodies, actor: c.get("deps").actor });
    return c.json(view, 201);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/traces",
    tags,
    summary: "Trace sessions of the mailbox and the stored files (one device with ?device_id=)",
    request: { params: AddressParam, query: z.object({ device_id: z.string().min(1).max(128).optional() }) },
    responses: { 200: json(z.object({ sessions: z.array(Session), files: z.array(File) }), "Traces"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const { device_id } = c.req.valid("query");
    const mbx = await mailboxOf(c, address);
    const sessions = (await mbx.traceSessions()) as TraceSession[];
    const files = (await mbx.traceFiles(device_id)) as TraceFile[];
    return c.json({ sessions: sessions.map((s) => sessionView(s)), files: files.map(fileView) }, 200);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}/traces/file",
    tags,
    summary: "Download one stored trace file by its key (text/plain, or WBXML for `npm run wbxml -- decode`)",
    request: { params: AddressParam, query: z.object({ key: z.string().min(1).max(600) }) },
    responses: {
      200: {
        description: "The file",
        content: {
          "text/plain": { schema: z.string() },
          "application/vnd.ms-sync.wbxml": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...problemResponses,
    },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const { key } = c.req.valid("query");
    const mbx = await mailboxOf(c, address);
    const file = await mbx.readTraceFile(key);
    if (!file) throw notFound("trace file", key);
    return new Response(file.body, { status: 200, headers: { "Content-Type": file.contentType, "Cache-Control": "no-store" } });
  },
);

r.openapi(
  createRoute({
    method: "delete",
    path: "/mailboxes/{address}/traces",
    tags,
    summary: "Stop tracing a device (?device_id=) or the whole mailbox; stored files stay until their retention ends",
    request: { params: AddressParam, query: z.object({ device_id: z.string().min(1).max(128).optional() }) },
    responses: { 200: json(Session, "Stopped"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const { device_id } = c.req.valid("query");
    const mbx = await mailboxOf(c, address);
    const target = device_id ?? ALL_DEVICES;
    const s = (await mbx.stopTrace(target)) as TraceSession | null;
    if (!s) throw new ServiceError(404, "Not found", `no trace session for ${target}`);
    await audit(c.get("deps"), "trace.stopped", `mailbox:${address}`, null, { target });
    logEvent("admin", { action: "trace.stopped", target, actor: c.get("deps").actor });
    return c.json(sessionView(s), 200);
  },
);
