// Mailbox lifecycle (issue 17 §6): list and search mailboxes, change a built-in account's password, delete a
// mailbox with everything it holds. The D1 work is in src/service/mailbox-lifecycle.ts.
import { createRoute, z } from "@hono/zod-openapi";
import { changeBuiltinPassword, deleteMailbox, listMailboxes } from "../service/mailbox-lifecycle";
import { newAdminRouter } from "./context";
import { Address, json, problemResponses } from "./schemas";

export const lifecycleRoutes = newAdminRouter();
const r = lifecycleRoutes;
const tags = ["mailboxes"];
const AddressParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });

const MailboxItem = z
  .object({
    address: z.string(),
    kind: z.enum(["built-in", "bridged", "no-login"]),
    created_at: z.string().nullable(),
    locked_until: z.string().nullable(),
    subscription: z.object({ id: z.string(), status: z.string() }).nullable(),
  })
  .openapi("MailboxListItem");

r.openapi(
  createRoute({
    method: "get",
    path: "/mailboxes",
    tags,
    summary: "List mailboxes by address; q searches a part of the address; cursor pages on",
    request: {
      query: z.object({
        q: z.string().trim().toLowerCase().max(254).optional(),
        cursor: z.string().max(254).optional().openapi({ description: "next_cursor of the previous page" }),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: {
      200: json(z.object({ mailboxes: z.array(MailboxItem), next_cursor: z.string().nullable() }), "Mailboxes"),
      ...problemResponses,
    },
  }),
  async (c) => c.json(await listMailboxes(c.get("deps"), c.req.valid("query")), 200),
);

r.openapi(
  createRoute({
    method: "put",
    path: "/mailboxes/{address}/password",
    tags,
    summary: "Set a built-in account's password (lifts a lock; devices must log in with the new one)",
    request: {
      params: AddressParam,
      body: { content: { "application/json": { schema: z.object({ password: z.string().min(1).max(1024) }) } }, required: true },
    },
    responses: { 204: { description: "Changed" }, ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    await changeBuiltinPassword(c.get("deps"), address, c.req.valid("json").password);
    return c.body(null, 204);
  },
);

r.openapi(
  createRoute({
    method: "delete",
    path: "/mailboxes/{address}",
    tags,
    summary: "Delete a mailbox and everything it holds (mail, calendars, contacts, devices, traces, login)",
    description:
      "Erases the mailbox object's storage, its R2 objects and its D1 rows except the billing and audit records the law requires (README, “Deleting a mailbox”). Refused with 409 while a subscription still gives service. The audit log records the deletion with `reason`.",
    request: { params: AddressParam, query: z.object({ reason: z.string().trim().max(500).optional() }) },
    responses: {
      200: json(
        z.object({
          address: z.string(),
          r2_objects_deleted: z.number(),
          d1_rows_deleted: z.object({ accounts: z.number(), mailbox_backends: z.number(), mailboxes: z.number() }),
          kept: z.array(z.string()),
        }),
        "Deleted",
      ),
      ...problemResponses,
    },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    return c.json(await deleteMailbox(c.get("deps"), address, c.req.valid("query").reason), 200);
  },
);
