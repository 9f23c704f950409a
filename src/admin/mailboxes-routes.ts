// Mailboxes (issue 3): create the login, look one up, import a message. A mailbox is either built in (a
// password in the built-in directory) or bridged to the provider's servers (issue 8, bridge-routes.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { createBuiltinMailbox, hasBuiltinAccount, isBridged, mailboxRecords } from "../service/accounts";
import { notFound, ServiceError } from "../service/errors";
import { summaryView } from "../service/views";
import { backendView, createBridgedMailbox, unbridgeMailbox, updateBridgedBackend } from "../service/bridge-mailboxes";
import { newAdminRouter } from "./context";
import { Address, BridgeBackendInput, json, problemResponses } from "./schemas";

export const mailboxRoutes = newAdminRouter();
const r = mailboxRoutes;
const tags = ["mailboxes"];
const AddressParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });
const Any = z.record(z.string(), z.unknown());

const CreateMailbox = z
  .object({
    address: Address,
    password: z.string().min(1).max(1024).optional().openapi({ description: "Built-in mailbox: the login's password" }),
    backend: BridgeBackendInput.optional().openapi({
      description: "Bridged mailbox: the provider's servers; devices log in with the mail account's own password",
    }),
  })
  .refine((b) => (b.password === undefined) !== (b.backend === undefined), {
    message: "give exactly one of password (built-in mailbox) or backend (bridged mailbox)",
  });

r.openapi(
  createRoute({
    method: "post",
    path: "/mailboxes",
    tags,
    summary: "Create a mailbox: built in (password) or bridged to the provider's servers (backend)",
    description:
      "Exactly one of `password` and `backend`. A bridged mailbox's devices log in with the account's own password, checked by its IMAP server; `GET /mailboxes/{address}` then shows the Dovecot push driver URL for `push: \"notify\"`.",
    request: { body: { content: { "application/json": { schema: CreateMailbox } }, required: true } },
    responses: { 201: json(z.object({ address: z.string() }).passthrough(), "Created"), ...problemResponses },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const d = c.get("deps");
    if (b.backend) {
      const backend = await createBridgedMailbox(d, b.address, b.backend);
      return c.json({ address: b.address, backend }, 201);
    }
    await createBuiltinMailbox(d, b.address, b.password!);
    return c.json({ address: b.address }, 201);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes/{address}",
    tags,
    summary: "A mailbox: login, current subscription, the mailbox object's copy of its state",
    request: { params: AddressParam },
    responses: { 200: json(Any, "Mailbox"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const { account: acc, mailbox: mbx, bridged, subscription: sub } = await mailboxRecords(c.get("deps"), address);
    const state = await c.env.MAILBOX.getByName(address).getSubscriptionState();
    return c.json(
      {
        address,
        account: acc ? { created_at: acc.createdAt.toISOString(), locked_until: acc.lockedUntil?.toISOString() ?? null } : null,
        domain: mbx?.domain ?? address.split("@")[1],
        customer_id: mbx?.customerId ?? null,
        subscription: sub ? summaryView(sub) : null,
        device_gate_state: state,
        backend: bridged ? await backendView(c.env, c.req.url, bridged) : null,
      },
      200,
    );
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/mailboxes/{address}/messages",
    tags,
    summary: "Deliver a message/rfc822 into the mailbox's Inbox",
    description:
      "`arrival=now` (default) delivers it as new mail (wakes waiting devices, out-of-office applies); `arrival=date` imports it with its Date header as arrival time (migrations, demo data).",
    request: {
      params: AddressParam,
      query: z.object({ arrival: z.enum(["now", "date"]).default("now") }),
      body: { content: { "message/rfc822": { schema: z.string().openapi({ format: "binary" }) } }, required: true },
    },
    responses: { 201: json(Any, "Delivered"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const d = c.get("deps");
    const started = Date.now();
    if (!(await hasBuiltinAccount(d.db, address))) {
      if (await isBridged(d.db, address))
        throw new ServiceError(
          409,
          "Bridged mailbox",
          `${address} keeps its mail on the provider's servers: deliver through the provider's mail server`,
        );
      throw notFound("mailbox", address);
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (!bytes.length) throw new ServiceError(400, "Empty message", "the body must be a message/rfc822 message");
    const mailbox = c.env.MAILBOX.getByName(address);
    const looked = Date.now();
    const delivered = c.req.valid("query").arrival === "date" ? await mailbox.importMessage(bytes) : await mailbox.deliver(bytes);
    // Wall time of the D1 lookup and of the mailbox object's delivery (Workers clocks advance across I/O), for bench/push.mjs.
    c.header("Server-Timing", `d1;dur=${looked - started}, mailbox;dur=${Date.now() - looked}`);
    return c.json({ address, delivered: { ...delivered } as Record<string, unknown> }, 201);
  },
);

r.openapi(
  createRoute({
    method: "put",
    path: "/mailboxes/{address}/backend",
    tags,
    summary: "Re-point a bridged mailbox (servers, TLS, DAV, push mode)",
    description:
      "Devices' cached logins are checked against the new IMAP server at once; the mailbox object uses the new servers from its next request.",
    request: { params: AddressParam, body: { content: { "application/json": { schema: BridgeBackendInput } }, required: true } },
    responses: { 200: json(Any, "The backend as now configured"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const backend = await updateBridgedBackend(c.get("deps"), address, c.req.valid("json"));
    return c.json({ address, backend }, 200);
  },
);

r.openapi(
  createRoute({
    method: "delete",
    path: "/mailboxes/{address}/backend",
    tags,
    summary: "Stop bridging: the mailbox becomes built in, with this password",
    description:
      "The mail stays on the provider's servers. Devices resynchronise against the (empty) built-in store and log in with the new password.",
    request: {
      params: AddressParam,
      body: { content: { "application/json": { schema: z.object({ password: z.string().min(1).max(1024) }) } }, required: true },
    },
    responses: { 200: json(Any, "Now a built-in mailbox"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    await unbridgeMailbox(c.get("deps"), address, c.req.valid("json").password);
    return c.json({ address, backend: null }, 200);
  },
);
