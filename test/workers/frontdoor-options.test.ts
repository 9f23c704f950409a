// HTTP OPTIONS ([MS-ASHTTP] 2.2.3, 2.2.4, 3.2.5.2).
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { commandRegistry } from "../../src/eas/commands/index";
import { handleActiveSync, defaultFrontDoor } from "../../src/http/activesync-route";
import { createAccount } from "../../src/service/directory";
import { BASE, basic } from "./helpers/eas-client";

const USER = "options-user@example.test";
const PASSWORD = "s3cret options";

beforeAll(async () => {
  await createAccount(env.DB, USER, PASSWORD);
});

function options(path = "/Microsoft-Server-ActiveSync", auth: string | null = basic(USER, PASSWORD)) {
  return exports.default.fetch(
    new Request(BASE.replace("/Microsoft-Server-ActiveSync", path), { method: "OPTIONS", headers: auth ? { Authorization: auth } : {} }),
  );
}

it("MS-ASHTTP_R1107, MS-ASHTTP_R249, MS-ASHTTP_R2491, MS-ASHTTP_R247, MS-ASHTTP_R222, MS-ASHTTP_R238, MS-ASHTTP_R239, MS-ASHTTP_R241, MS-ASHTTP_R244, MS-ASHTTP_R296, MS-ASHTTP_R297, MS-ASHTTP_R319, MS-ASHTTP_R450, MS-ASHTTP_R459, MS-ASHTTP_R460, MS-ASHTTP_R461, MS-ASHTTP_R1201, MS-ASHTTP_R12011: versions served, exactly the registry's commands, server version", async () => {
  const res = await options();
  expect(res.status).toBe(200);
  expect(res.headers.get("MS-ASProtocolVersions")).toBe("2.5,12.0,12.1,14.0,14.1,16.0,16.1");
  expect(res.headers.get("MS-ASProtocolCommands")).toBe([...commandRegistry.keys()].join(","));
  expect(res.headers.get("MS-Server-ActiveSync")).toBe("16.1");
  expect(res.headers.get("Allow")).toBe("OPTIONS,POST");
  expect(res.headers.get("Public")).toBe("OPTIONS,POST");
  expect(await res.text()).toBe("");
});

it("MS-ASHTTP_R247: MS-ASProtocolCommands follows the registry (nothing announced that is not served)", async () => {
  const registry = new Map([
    ["FolderSync", { name: "FolderSync", handle: async () => ({ kind: "empty" as const }) }],
    ["Sync", { name: "Sync", handle: async () => ({ kind: "empty" as const }) }],
  ]);
  const req = new Request(BASE, { method: "OPTIONS", headers: { Authorization: basic(USER, PASSWORD) } });
  const res = await handleActiveSync(req, env, { ...defaultFrontDoor, registry });
  expect(res.headers.get("MS-ASProtocolCommands")).toBe("FolderSync,Sync");
});

it("MS-ASHTTP_R182: the path matches without regard to case, as on Exchange; other paths are 404", async () => {
  for (const path of ["/microsoft-server-activesync", "/MICROSOFT-SERVER-ACTIVESYNC/"]) {
    const res = await options(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("MS-ASProtocolVersions")).toBeTruthy();
  }
  expect((await options("/Microsoft-Server-ActiveSyncX")).status).toBe(404);
});

it("MS-ASHTTP_R2371: OPTIONS requires the Authorization header; without it or with a wrong password, 401 + Basic challenge", async () => {
  for (const auth of [null, basic(USER, "wrong"), "Bearer abc", "Basic !!!"]) {
    const res = await options(undefined, auth);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="[^"]+"/);
    expect(res.headers.get("MS-ASProtocolVersions")).toBeNull();
  }
});

it("MS-ASHTTP_R187, MS-ASHTTP_R465: other methods on the ActiveSync path are 501 with Allow (after authentication)", async () => {
  const res = await exports.default.fetch(new Request(BASE, { method: "GET", headers: { Authorization: basic(USER, PASSWORD) } }));
  expect(res.status).toBe(501);
  expect(res.headers.get("Allow")).toBe("OPTIONS,POST");
  const anon = await exports.default.fetch(new Request(BASE, { method: "GET" }));
  expect(anon.status).toBe(401);
});
