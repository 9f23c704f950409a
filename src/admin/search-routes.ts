// The mail search index of a mailbox (issue 16): rebuilt on demand from the stored mail (an index suspected
// wrong, a store upgraded with bodies kept in R2). Bridged mailboxes search on their IMAP server: nothing to do.
import { createRoute, z } from "@hono/zod-openapi";
import { hasMailbox } from "../service/accounts";
import { notFound } from "../service/errors";
import { newAdminRouter } from "./context";
import { Address, json, problemResponses } from "./schemas";

export const searchRoutes = newAdminRouter();

searchRoutes.openapi(
  createRoute({
    method: "post",
    path: "/mailboxes/{address}/search-index/rebuild",
    tags: ["mailboxes"],
    summary: "Rebuild the mailbox's mail search index from its stored mail",
    request: { params: z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) }) },
    responses: {
      200: json(z.object({ rebuilt: z.boolean().openapi({ description: "false: the mailbox searches on its IMAP server" }) }), "Done"),
      ...problemResponses,
    },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    if (!(await hasMailbox(c.get("deps").db, address))) throw notFound("mailbox", address);
    return c.json(await c.env.MAILBOX.getByName(address).rebuildSearchIndex(), 200);
  },
);
