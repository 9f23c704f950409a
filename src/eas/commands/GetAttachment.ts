// GetAttachment ([MS-ASCMD] 2.2.1.7, protocol 2.5, 12.0 and 12.1 only): the attachment named by the
// AttachmentName query parameter (the AttName/FileReference a Sync gave), raw bytes with its own Content-Type.
// One RPC: the ItemOperations attachment fetch of the mailbox object, so the built-in store and the IMAP
// bridge answer it alike.
import type { EasCommand, EasRequest, EasResponse } from "../front/command";

export const GetAttachment: EasCommand = {
  name: "GetAttachment",
  async handle(req: EasRequest): Promise<EasResponse> {
    const name = req.params.AttachmentName;
    // MS-ASCMD_R162: the name travels in the query; without it the request is malformed.
    if (!name) return { kind: "http", status: 400 };
    // A large attachment comes as a stream and goes out as it is read (issue 15).
    const [r] = await req.mailbox.itemOperationsFetch([{ kind: "attachment", fileReference: name }]);
    // MS-ASCMD_R166: an attachment that is not (or no longer) on the server is HTTP 500, as the spec prescribes
    // and as 12.x clients expect (they stop retrying it); nothing failed on the server's side.
    if (r?.kind !== "attachment" || r.status !== 1 || !(r.body || r.data)) return { kind: "http", status: 500 };
    // MS-ASCMD_R164: the content in the body, its type in Content-Type.
    const contentType = r.contentType || "application/octet-stream";
    if (!r.body) return { kind: "raw", body: r.data ?? new Uint8Array(0), contentType };
    const length = r.total ?? 0;
    // Exactly the size the store announced, with its Content-Length: a short read breaks the response.
    return {
      kind: "raw",
      body: r.body.pipeThrough(new FixedLengthStream(length)),
      contentType,
      headers: { "Content-Length": String(length) },
    };
  },
};
