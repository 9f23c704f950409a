// Bulk import of mail into a built-in mailbox (issue 15 target 5): one streamed mbox archive per request, filed
// in batches (one mailbox RPC and one SQLite transaction per batch, IMPORT_BATCH_* in contract.ts), with one
// result per message. The archive is read as it arrives: at most one batch and one message are held. Posting the
// same archive again after a cut imports only what is missing (duplicates by Message-ID or by the bytes' hash).
import { createRoute, z } from "@hono/zod-openapi";
import { DEFAULT_MAX_SEND_BYTES, IMPORT_BATCH_BYTES, IMPORT_BATCH_MESSAGES, type ImportOutcome } from "../mailbox/contract";
import { MboxError, splitMbox } from "../formats/mbox";
import { hasBuiltinAccount, isBridged } from "../service/accounts";
import { notFound, ServiceError } from "../service/errors";
import { FolderType } from "../store/types";
import { newAdminRouter } from "./context";
import { Address, json, problemResponses } from "./schemas";

export const importRoutes = newAdminRouter();

class ArchiveTooLarge extends Error {}

/** An archive of at most this many bytes (IMPORT_MAX_BYTES overrides) and this many messages per request. */
export const DEFAULT_IMPORT_MAX_BYTES = 512 * 1024 * 1024;
export const IMPORT_MAX_MESSAGES = 100_000;

const FOLDERS = { inbox: FolderType.Inbox, sent: FolderType.SentItems, drafts: FolderType.Drafts, deleted: FolderType.DeletedItems };

const Result = z.object({
  n: z.number().int().openapi({ description: "Position of the message in the archive, from 1" }),
  status: z.enum(["imported", "duplicate", "skipped"]),
  folder_id: z.string().optional(),
  item_id: z.string().optional().openapi({ description: "The item the message is (imported, or already there)" }),
  reason: z.string().optional().openapi({ description: "Why a message was skipped" }),
});
const ImportReport = z.object({
  address: z.string(),
  folder: z.string(),
  messages: z.number().int(),
  imported: z.number().int(),
  duplicates: z.number().int(),
  skipped: z.number().int(),
  batches: z.number().int(),
  results: z.array(Result),
});
type Report = z.infer<typeof ImportReport>;

importRoutes.openapi(
  createRoute({
    method: "post",
    path: "/mailboxes/{address}/import",
    tags: ["mailboxes"],
    summary: "Bulk import of an mbox archive into a built-in mailbox's default folder",
    description:
      "The body is an mbox archive (RFC 4155, mboxo or mboxrd, LF or CRLF line ends), streamed: each message keeps its Date header as " +
      "arrival time and is filed like `POST /mailboxes/{address}/messages?arrival=date` (no out-of-office, no invitation filing), " +
      "in batches of up to 250 messages / 8 MiB, each one transaction (rows, full-text index). One result per message: " +
      "`imported`, `duplicate` (already in the folder: same Message-ID or the same bytes; re-posting an archive after a cut imports only what is missing) " +
      "or `skipped` with a reason (empty, larger than the message-size limit). A message that does not parse as MIME is stored as text, never refused. " +
      "At most 512 MiB (`IMPORT_MAX_BYTES`) and 100 000 messages per request: beyond them the answer is 413 with the results so far.",
    request: {
      params: z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) }),
      query: z.object({ folder: z.enum(["inbox", "sent", "drafts", "deleted"]).default("inbox") }),
      body: { content: { "application/mbox": { schema: z.string().openapi({ format: "binary" }) } }, required: true },
    },
    responses: { 200: json(ImportReport, "Imported"), ...problemResponses },
  }),
  async (c) => {
    const { address } = c.req.valid("param");
    const { folder } = c.req.valid("query");
    const d = c.get("deps");
    if (!(await hasBuiltinAccount(d.db, address))) {
      await c.req.raw.body?.cancel().catch(() => undefined);
      if (await isBridged(d.db, address))
        throw new ServiceError(409, "Bridged mailbox", `${address} keeps its mail on the provider's servers: import there`);
      throw notFound("mailbox", address);
    }
    const vars = c.env as { MAX_SEND_BYTES?: string; IMPORT_MAX_BYTES?: string };
    // A message travels to the object in one RPC (at most 32 MiB): a larger MAX_SEND_BYTES does not apply here.
    const maxMessage = Math.min(Number(vars.MAX_SEND_BYTES || DEFAULT_MAX_SEND_BYTES), 30 * 1024 * 1024);
    const maxArchive = Number(vars.IMPORT_MAX_BYTES || DEFAULT_IMPORT_MAX_BYTES);
    if (Number(c.req.header("Content-Length") ?? 0) > maxArchive) {
      await c.req.raw.body?.cancel().catch(() => undefined);
      throw new ServiceError(413, "Too large", `an archive of at most ${maxArchive} bytes per request`);
    }
    if (!c.req.raw.body) throw new ServiceError(400, "Empty archive", "the body must be an mbox archive");

    const mailbox = c.env.MAILBOX.getByName(address);
    const report: Report = { address, folder, messages: 0, imported: 0, duplicates: 0, skipped: 0, batches: 0, results: [] };
    const record = (n: number, o: ImportOutcome) => {
      if (o.status === "skipped") {
        report.skipped++;
        report.results.push({ n, status: "skipped", reason: o.reason });
      } else {
        if (o.status === "imported") report.imported++;
        else report.duplicates++;
        report.results.push({ n, status: o.status, folder_id: o.folderId, item_id: o.itemId });
      }
    };
    // One batch in flight while the next is read: the archive streams in during the object's writes.
    let inFlight: Promise<void> = Promise.resolve();
    let batch: { n: number; raw: Uint8Array }[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const sent = batch;
      batch = [];
      batchBytes = 0;
      await inFlight;
      report.batches++;
      inFlight = mailbox
        .importBatch(
          sent.map((m) => m.raw),
          FOLDERS[folder],
        )
        .then((outcomes) => {
          for (const [k, o] of outcomes.entries()) record(sent[k].n, o);
        });
      inFlight.catch(() => undefined); // awaited (and thrown) by the next flush or at the end
    };
    const stop = async (detail: string) => {
      await flush();
      await inFlight;
      report.results.sort((a, b) => a.n - b.n);
      throw new ServiceError(413, "Too large", detail, { ...report });
    };

    // The archive's bytes are counted as they arrive: past the limit the stream fails, whether or not a message
    // ended (a body of one endless line is refused as much as one of many messages).
    let read = 0;
    const counted = c.req.raw.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          read += chunk.byteLength;
          if (read > maxArchive) ctl.error(new ArchiveTooLarge());
          else ctl.enqueue(chunk);
        },
      }),
    );
    try {
      for await (const entry of splitMbox(counted, maxMessage)) {
        const n = ++report.messages;
        if (n > IMPORT_MAX_MESSAGES) await stop(`at most ${IMPORT_MAX_MESSAGES} messages per request; the rest was not read`);
        if (entry.kind === "oversize") {
          record(n, { status: "skipped", reason: `larger than the message-size limit of ${maxMessage} bytes` });
          continue;
        }
        if (batch.length > 0 && (batch.length >= IMPORT_BATCH_MESSAGES || batchBytes + entry.raw.byteLength > IMPORT_BATCH_BYTES))
          await flush();
        batch.push({ n, raw: entry.raw });
        batchBytes += entry.raw.byteLength;
      }
    } catch (e) {
      if (e instanceof MboxError) throw new ServiceError(400, "Not an mbox archive", e.message);
      if (e instanceof ArchiveTooLarge) await stop(`an archive of at most ${maxArchive} bytes per request; the rest was not read`);
      throw e;
    } finally {
      if (report.messages > IMPORT_MAX_MESSAGES) await counted.cancel().catch(() => undefined);
      await c.req.raw.body.cancel().catch(() => undefined); // whatever was not read (a no-op once read to the end)
    }
    await flush();
    await inFlight;
    report.results.sort((a, b) => a.n - b.n);
    return c.json(report, 200);
  },
);
