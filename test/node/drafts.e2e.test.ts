// 16.x drafts end to end: a phone adds a draft with an attachment, edits it (fields, attachments deleted and
// added) and sends it (email2:Send); a second phone sees each step. Every decoded response is validated with
// the conformance kit by the Phone client, in 16.0 and 16.1.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone } from "./phone";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const run = Date.now().toString(36);
const USER = `drafts-${run}@d${run}.test`;
const PW = "drafts e2e password";
const DRAFTS = "2";

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
});

const a = (name: string, ...c: Parameters<typeof el>[2][]) => el("AirSync", name, ...c);
const b = (name: string, ...c: Parameters<typeof el>[2][]) => el("AirSyncBase", name, ...c);
const plain = a("Options", b("BodyPreference", b("Type", 1)));

function syncBody(key: string, ...extra: (WbxmlElement | null)[]): WbxmlElement {
  return a("Sync", a("Collections", a("Collection", a("SyncKey", key), a("CollectionId", DRAFTS), ...extra)));
}

class Device {
  key = "0";
  constructor(readonly phone: Phone) {}
  async sync(...extra: (WbxmlElement | null)[]): Promise<WbxmlElement | undefined> {
    if (this.key === "0") {
      const h = await this.phone.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
      expect(childText(h.tree, "Status", "FolderHierarchy")).toBe("1");
    }
    const r = await this.phone.command("Sync", syncBody(this.key, ...extra));
    expect(r.status).toBe(200);
    if (!r.tree) return undefined; // nothing new: the empty response ([MS-ASCMD] 2.2.1.21)
    const col = child(child(r.tree, "Collections"), "Collection");
    expect(childText(col, "Status")).toBe("1");
    this.key = childText(col, "SyncKey") ?? this.key;
    return col;
  }
}

const opaque = (e: WbxmlElement | undefined) => e?.children.find((c): c is Uint8Array => c instanceof Uint8Array);
const commands = (col: WbxmlElement | undefined, op: string) => childrenNamed(child(col, "Commands"), op);
const attachmentNames = (data: WbxmlElement | undefined) =>
  childrenNamed(child(data, "Attachments", "AirSyncBase"), "Attachment")
    .map((x) => childText(x, "DisplayName", "AirSyncBase"))
    .sort();
const attach = (clientId: string, name: string, text: string) =>
  b(
    "Add",
    b("ClientId", clientId),
    b("DisplayName", name),
    b("Content", new TextEncoder().encode(text)),
    b("ContentType", "text/plain"),
    b("Method", 1),
  );

describe.each(["16.0", "16.1"])("drafts over HTTP, protocol %s", (version) => {
  it("MS-ASAIRS_R1082, MS-ASAIRS_R1367, MS-ASEMAIL_R1184, MS-ASEMAIL_R11850, MS-ASAIRS_R1001000, MS-ASEMAIL_R1278, MS-ASEMAIL_R1135, MS-ASEMAIL_R1389: add with an attachment, edit, attachments deleted and added, sent; the other device follows", async () => {
    const device = (id: string) =>
      new Device(
        new Phone({
          baseUrl: url,
          user: USER,
          password: PW,
          deviceId: `${id}${run}${version.replace(".", "")}`,
          deviceType: "iPhone",
          protocolVersion: version,
        }),
      );
    const one = device("draftA");
    const two = device("draftB");
    await one.sync();
    await two.sync();
    await two.sync(plain);

    const subject = `Draft ${version} ${run}`;
    let col = await one.sync(
      a(
        "Commands",
        a(
          "Add",
          a("ClientId", "d1"),
          a(
            "ApplicationData",
            el("Email", "To", USER),
            el("Email", "Subject", subject),
            b("Body", b("Type", 1), b("Data", "first words")),
            b("Attachments", attach("f1", "one.txt", "one"), attach("f2", "two.txt", "two")),
          ),
        ),
      ),
    );
    const added = child(child(col, "Responses"), "Add");
    const serverId = childText(added, "ServerId")!;
    const refs = childrenNamed(child(child(added, "ApplicationData"), "Attachments", "AirSyncBase"), "Attachment");
    expect(refs.map((x) => childText(x, "ClientId", "AirSyncBase")).sort()).toEqual(["f1", "f2"]);
    // MS-ASEMAIL_R1184 (16.0) / MS-ASEMAIL_R11850 (16.1): the draft's ConversationId comes with the Add response.
    const conversationId = opaque(child(child(added, "ApplicationData"), "ConversationId", "Email2"));
    expect(conversationId).toHaveLength(16);

    col = await two.sync(plain);
    const seen = commands(col, "Add").find((x) => childText(x, "ServerId") === serverId);
    expect(childText(child(seen, "ApplicationData"), "IsDraft", "Email2")).toBe("1");
    expect(opaque(child(child(seen, "ApplicationData"), "ConversationId", "Email2"))).toEqual(conversationId);
    expect(attachmentNames(child(seen, "ApplicationData"))).toEqual(["one.txt", "two.txt"]);

    const oneRef = childText(
      refs.find((x) => childText(x, "ClientId", "AirSyncBase") === "f1"),
      "FileReference",
      "AirSyncBase",
    )!;
    col = await one.sync(
      plain,
      a(
        "Commands",
        a(
          "Change",
          a("ServerId", serverId),
          a(
            "ApplicationData",
            el("Email2", "Bcc", `hidden@d${run}.test`),
            el("Email", "Subject", `${subject} v2`),
            b("Body", b("Type", 1), b("Data", "better words")),
            b("Attachments", b("Delete", b("FileReference", oneRef)), attach("f3", "three.txt", "three")),
          ),
        ),
      ),
    );
    // The phone gets its draft back with the new attachment's FileReference.
    expect(
      attachmentNames(
        child(
          commands(col, "Change").find((x) => childText(x, "ServerId") === serverId),
          "ApplicationData",
        ),
      ),
    ).toEqual(["three.txt", "two.txt"]);

    col = await two.sync(plain);
    const changed = child(
      commands(col, "Change").find((x) => childText(x, "ServerId") === serverId),
      "ApplicationData",
    );
    expect(childText(changed, "Subject", "Email")).toBe(`${subject} v2`);
    expect(childText(changed, "Bcc", "Email2")).toContain("hidden@");
    expect(childText(child(changed, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("better words");
    expect(attachmentNames(changed)).toEqual(["three.txt", "two.txt"]);

    await one.sync(a("Commands", a("Change", a("ServerId", serverId), a("ApplicationData"), el("Email2", "Send"))));
    col = await two.sync(plain);
    expect(commands(col, "Delete").map((x) => childText(x, "ServerId"))).toContain(serverId);
  });
});
