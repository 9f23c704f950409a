// Calendar and address book of a mailbox as whole files (issue 7): GET exports, PUT replaces the
// collection (objects matched by UID, the rest deleted), so an admin can back up, migrate or seed.
import { createRoute, z } from "@hono/zod-openapi";
import { builtinMailbox } from "../service/accounts";
import { ServiceError } from "../service/errors";
import { newAdminRouter, type AdminEnv } from "./context";
import { Address, json, problemResponses } from "./schemas";
import type { Context } from "hono";

export const pimRoutes = newAdminRouter();
const tags = ["calendar and contacts"];
const AddressParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });
const ImportResult = z
  .object({ added: z.number(), updated: z.number(), unchanged: z.number(), deleted: z.number(), skipped: z.number() })
  .openapi("PimImportResult");
/** A whole collection is at most this large (SQLite rows are 2 MB each; the file holds many). */
const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

const FILES = [
  {
    path: "calendar.ics",
    kind: "calendar",
    media: "text/calendar",
    what: "calendar (VEVENTs of the default Calendar folder) as iCalendar",
  },
  { path: "contacts.vcf", kind: "contacts", media: "text/vcard", what: "address book (the default Contacts folder) as vCards" },
] as const;

/** The mailbox object of an existing built-in login (404 otherwise). */
function mailboxOf(c: Context<AdminEnv>, address: string) {
  return builtinMailbox(c.get("deps"), address);
}

for (const f of FILES) {
  pimRoutes.openapi(
    createRoute({
      method: "get",
      path: `/mailboxes/{address}/${f.path}`,
      tags,
      summary: `Export the ${f.what}`,
      request: { params: AddressParam },
      responses: { 200: { description: "The whole collection", content: { [f.media]: { schema: z.string() } } }, ...problemResponses },
    }),
    async (c) => {
      const { address } = c.req.valid("param");
      const text = await (await mailboxOf(c, address)).exportPim(f.kind);
      return c.body(text, 200, { "content-type": `${f.media}; charset=utf-8`, "content-disposition": `attachment; filename="${f.path}"` });
    },
  );

  pimRoutes.openapi(
    createRoute({
      method: "put",
      path: `/mailboxes/{address}/${f.path}`,
      tags,
      summary: `Replace the ${f.what}`,
      description:
        "Objects are matched by UID: new ones are added, changed ones updated, the ones missing from the file deleted. Devices receive the changes at their next Sync. Other component types in the file are skipped and counted.",
      request: { params: AddressParam, body: { content: { [f.media]: { schema: z.string() } }, required: true } },
      responses: { 200: json(ImportResult, "Imported"), ...problemResponses },
    }),
    async (c) => {
      const { address } = c.req.valid("param");
      const mailbox = await mailboxOf(c, address);
      const bytes = await c.req.arrayBuffer();
      if (bytes.byteLength > MAX_IMPORT_BYTES) throw new ServiceError(400, "Too large", `at most ${MAX_IMPORT_BYTES} bytes`);
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
      } catch {
        throw new ServiceError(400, "Not UTF-8", `the ${f.path} body must be UTF-8 text`);
      }
      const result = await mailbox.importPim(f.kind, text);
      if ("error" in result) throw new ServiceError(400, `Invalid ${f.path}`, result.error);
      return c.json(result, 200);
    },
  );
}
