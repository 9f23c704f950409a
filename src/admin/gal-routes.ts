// The domain's address book (GAL, issue 16): details an admin adds for an address (name, phones, title,
// company, office, alias addresses, photo). Every address with a mailbox is listed anyway; devices search
// their own domain's book only (Search Store=GAL, src/service/gal.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { fromBase64 } from "../formats/base64";
import { D1GalDirectory, deleteGalEntry, domainOf, putGalEntry } from "../service/gal";
import { notFound, ServiceError } from "../service/errors";
import { newAdminRouter } from "./context";
import { Address, json, problemResponses } from "./schemas";

export const galRoutes = newAdminRouter();
const tags = ["address book (GAL)"];
/** A photo is at most this large once decoded (phones show thumbnails; Exchange's own limit is similar). */
const MAX_PHOTO_BYTES = 100 * 1024;

const text = (max: number) => z.string().trim().min(1).max(max).optional();
const GalEntryInput = z
  .object({
    displayName: text(256),
    firstName: text(128),
    lastName: text(128),
    phone: text(64),
    mobilePhone: text(64),
    homePhone: text(64),
    title: text(128),
    company: text(128),
    office: text(128),
    aliases: z.array(Address).max(20).optional().openapi({ description: "Other addresses of the same domain that reach this person" }),
    photo: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, "base64")
      .max(Math.ceil(MAX_PHOTO_BYTES / 3) * 4)
      .optional()
      .openapi({ description: "JPEG or PNG, base64, at most 100 KiB" }),
  })
  .openapi("GalEntryInput");
const GalEntry = z
  .object({
    address: z.string(),
    displayName: z.string(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    alias: z.string().optional(),
    phone: z.string().optional(),
    mobilePhone: z.string().optional(),
    homePhone: z.string().optional(),
    title: z.string().optional(),
    company: z.string().optional(),
    office: z.string().optional(),
    photo: z.string().optional(),
    mailbox: z.boolean().openapi({ description: "The address has a mailbox of this service" }),
  })
  .openapi("GalEntry");
const AddressParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });
const DomainParam = z.object({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .min(3)
    .max(253)
    .regex(/^[^\s@/]+\.[^\s@/]+$/)
    .openapi({ param: { name: "domain", in: "path" }, example: "example.test" }),
});

galRoutes.openapi(
  createRoute({
    method: "get",
    path: "/domains/{domain}/gal",
    tags,
    summary: "The domain's address book: every address of the domain with its details",
    request: { params: DomainParam },
    responses: { 200: json(z.object({ entries: z.array(GalEntry) }), "The address book"), ...problemResponses },
  }),
  async (c) => {
    const { domain } = c.req.valid("param");
    return c.json({ entries: await new D1GalDirectory(c.env.DB, `x@${domain}`).list() }, 200);
  },
);

galRoutes.openapi(
  createRoute({
    method: "put",
    path: "/gal/{address}",
    tags,
    summary: "Set the details of an address in its domain's address book (replaces what was there)",
    description:
      "The address need not have a mailbox (a shared address, a colleague elsewhere in the organisation). Alias addresses must be on the same domain.",
    request: { params: AddressParam, body: { content: { "application/json": { schema: GalEntryInput } }, required: true } },
    responses: { 200: json(GalEntry, "The entry as devices see it"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const input = c.req.valid("json");
    const domain = domainOf(address);
    if (input.aliases?.some((a) => domainOf(a) !== domain))
      throw new ServiceError(400, "Alias on another domain", `alias addresses must be on ${domain}`);
    const photo = input.photo === undefined ? undefined : fromBase64(input.photo);
    if (photo === null) throw new ServiceError(400, "Photo not base64", "photo must be standard base64 (RFC 4648 §4)");
    if (photo && photo.length > MAX_PHOTO_BYTES) throw new ServiceError(400, "Photo too large", `at most ${MAX_PHOTO_BYTES} bytes`);
    await putGalEntry(c.env.DB, address, input, Date.now());
    const entry = (await new D1GalDirectory(c.env.DB, address).list()).find((e) => e.address === address);
    if (!entry) throw notFound("address book entry", address);
    return c.json(entry, 200);
  },
);

galRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/gal/{address}",
    tags,
    summary: "Remove an admin's details for an address (an address with a mailbox stays listed)",
    request: { params: AddressParam },
    responses: { 204: { description: "Removed" }, ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    if (!(await deleteGalEntry(c.env.DB, address))) throw notFound("address book entry", address);
    return c.body(null, 204);
  },
);
