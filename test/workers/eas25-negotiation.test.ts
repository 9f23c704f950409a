// EAS 2.5 negotiation (issue 14): 2.5 advertised, the Exchange 2003 SP2 server string and the 2.5 command list
// for a 2.5 client, the commands 2.5 lacks refused, the plain query only.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { commandRegistry } from "../../src/eas/commands/index";
import { atLeast } from "../../src/eas/protocol-version";
import { commandInVersion, commandsFor } from "../../src/http/command-versions";
import { createAccount } from "../../src/service/directory";
import { encodeWbxml, el } from "../../src/wbxml/index";
import { BASE, ascii, b64, basic, plainQuery, post } from "./helpers/eas-client";

const USER = "eas25-negotiation@example.test";
const PASSWORD = "s3cret 2.5";
const auth = basic(USER, PASSWORD);

beforeAll(async () => {
  await createAccount(env.DB, USER, PASSWORD);
});

function options(headers: Record<string, string> = {}) {
  return exports.default.fetch(new Request(BASE, { method: "OPTIONS", headers: { Authorization: auth, ...headers } }));
}

describe("command versions ([MS-ASCMD] 2.2.1 protocol version tables)", () => {
  it("atLeast compares major, then minor; odd strings compare as 0, the same after many distinct ones (kept split)", () => {
    const cases: [string, string, boolean][] = [
      ["14.1", "14.0", true],
      ["14.0", "14.1", false],
      ["16.1", "14.1", true],
      ["12.1", "14.0", false],
      ["2.5", "12.1", false],
      ["14", "14.0", true],
      ["abc", "2.5", false],
      ["abc", "0.0", true],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [v, min, want] of cases) expect(atLeast(v, min), `${v} >= ${min}`).toBe(want);
      // A device's own strings beyond what is kept split answer the same.
      for (let i = 0; i < 40; i++) expect(atLeast(`${i}.${i}`, "14.0"), `${i}.${i}`).toBe(i >= 14);
    }
  });

  it("Settings and ItemOperations start at 12.0, GetAttachment ends at 12.1, Find starts at 16.1", () => {
    expect(commandInVersion("Settings", "2.5")).toBe(false);
    expect(commandInVersion("Settings", "12.0")).toBe(true);
    expect(commandInVersion("ItemOperations", "2.5")).toBe(false);
    expect(commandInVersion("GetAttachment", "2.5")).toBe(true);
    expect(commandInVersion("GetAttachment", "12.1")).toBe(true);
    expect(commandInVersion("GetAttachment", "14.0")).toBe(false);
    expect(commandInVersion("Find", "16.0")).toBe(false);
    expect(commandInVersion("Sync", "2.5")).toBe(true);
    expect(commandsFor(["Sync", "Settings", "Ping"], "2.5")).toEqual(["Sync", "Ping"]);
    expect(commandsFor(["Sync", "Settings"], undefined)).toEqual(["Sync", "Settings"]);
  });
});

describe("OPTIONS", () => {
  it("MS-ASHTTP_R1107: 2.5 is advertised with the others", async () => {
    const res = await options();
    expect(res.headers.get("MS-ASProtocolVersions")?.split(",")).toEqual(["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]);
    expect(res.headers.get("MS-ASProtocolCommands")?.split(",")).toContain("Settings");
  });

  it("an OPTIONS naming 2.5 gets Exchange 2003 SP2's server string and only the commands 2.5 has", async () => {
    const res = await options({ "MS-ASProtocolVersion": "2.5" });
    expect(res.status).toBe(200);
    expect(res.headers.get("MS-Server-ActiveSync")).toBe("6.5.7638.1");
    const cmds = res.headers.get("MS-ASProtocolCommands")?.split(",") ?? [];
    for (const c of ["Sync", "FolderSync", "Provision", "Ping", "SendMail", "SmartReply", "SmartForward", "GetItemEstimate", "MoveItems"])
      expect(cmds).toContain(c);
    expect(cmds).not.toContain("Settings");
    expect(cmds).not.toContain("ItemOperations");
    // A 14.1 OPTIONS keeps the current string and its own list.
    const modern = await options({ "MS-ASProtocolVersion": "14.1" });
    expect(modern.headers.get("MS-Server-ActiveSync")).toBe("16.1");
    expect(modern.headers.get("MS-ASProtocolCommands")?.split(",")).toContain("Settings");
  });
});

describe("POST with MS-ASProtocolVersion 2.5", () => {
  const h = { "MS-ASProtocolVersion": "2.5" };

  it("is served: FolderSync answers with the 2.5 server string and, at SyncKey 0, the 2.5 command list (MS-ASHTTP_R1104)", async () => {
    const body = encodeWbxml(el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    const res = await post(plainQuery("FolderSync", "", "wm5neg"), {
      auth,
      headers: { ...h, "Content-Type": "application/vnd.ms-sync.wbxml" },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("MS-Server-ActiveSync")).toBe("6.5.7638.1");
    const cmds = res.headers.get("MS-ASProtocolCommands")?.split(",") ?? [];
    expect(cmds).toContain("FolderSync");
    expect(cmds).not.toContain("Settings");
  });

  it("MS-ASHTTP_R443: a command 2.5 does not have is 501 (Settings, ItemOperations)", async () => {
    for (const cmd of ["Settings", "ItemOperations"]) {
      const res = await post(plainQuery(cmd, "", "wm5neg"), { auth, headers: h });
      expect(res.status, cmd).toBe(501);
    }
    // The same commands from a 12.0 client are served (not 501).
    expect((await post(plainQuery("Settings", "", "v120neg"), { auth, headers: { "MS-ASProtocolVersion": "12.0" } })).status).not.toBe(501);
  });

  it("MS-ASHTTP_R24: 2.5 has no base64 query (version byte 25 is 400)", async () => {
    const q = b64([25, 9, 9, 4, 6, ...ascii("wm5neg"), 0, 7, ...ascii("PocketPC")]);
    const res = await post(q, { auth, headers: { "MS-ASProtocolVersion": "" } });
    expect(res.status).toBe(400);
  });
});

it("the registry's commands all have a version rule that admits 16.1 except GetAttachment", () => {
  for (const name of commandRegistry.keys()) expect(commandInVersion(name, "16.1") || name === "GetAttachment", name).toBe(true);
});
