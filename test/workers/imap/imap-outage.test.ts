// The IMAP server going away must reach the phone as "retry later" (503 + Retry-After, MS-ASHTTP_R273),
// never as a crash or lost state.
import { describe, expect, inject, it } from "vitest";
import { errorResponse } from "../../../src/http/errors";
import { verifyImapLogin } from "../../../src/store/imap/connection";
import type { ImapStoreConfig } from "../../../src/store/imap/store";
import { StoreAuthError, StoreUnavailableError } from "../../../src/store/types";
import { config, dovecot, withStore } from "./imap-helpers";

const flaky = inject("flakyImap");
const MB = "imap-outage@example.test";

function at(port: number, timeoutMs = 5000): ImapStoreConfig {
  return {
    endpoint: { host: "127.0.0.1", port, tls: "none" },
    credentials: { user: "bob", password: "bob secret" },
    session: { timeoutMs, retryAfterSeconds: 17 },
  };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a failure");
}

describe("IMAP server unavailable → StoreUnavailableError → 503 + Retry-After", () => {
  it("a server refusing STARTTLS is unavailable (503), not a wrong password: the login check throws, counts nothing", async () => {
    const endpoint = { host: "127.0.0.1", port: flaky.drop, tls: "starttls" as const };
    const err = await failure(verifyImapLogin(endpoint, { user: "bob", password: "bob secret" }, { timeoutMs: 5000 }));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(errorResponse(err).status).toBe(503);
  });

  it("the server drops the connection mid-request (after login)", async () => {
    const err = await failure(withStore(MB, at(flaky.drop), (s) => s.listFolders()));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).retryAfterSeconds).toBe(17);
    const res = errorResponse(err);
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("17");
  });

  it("the server stops answering: the command times out", async () => {
    const started = Date.now();
    const err = await failure(withStore(MB, at(flaky.silent, 300), (s) => s.listFolders()));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("nothing listens on the port (connection refused)", async () => {
    const err = await failure(withStore(MB, at(1), (s) => s.listFolders()));
    expect(err).toBeInstanceOf(StoreUnavailableError);
  });

  it("a wrong password is refused by the server is StoreAuthError, not an outage", async () => {
    const cfg = at(flaky.drop);
    cfg.credentials = { user: "bob", password: "wrong" };
    const err = await failure(withStore(MB, cfg, (s) => s.listFolders()));
    expect(err).toBeInstanceOf(StoreAuthError);
    expect((err as Error).message).toMatch(/AUTHENTICATIONFAILED/);
  });

  it("state survives an outage: the store works again once the server answers", async () => {
    const folders = await withStore(MB, config("bob"), (s) => s.listFolders());
    await failure(withStore(MB, at(flaky.drop), (s) => s.folderStatus(folders[0]!.id)));
    const again = await withStore(MB, config("bob"), (s) => s.listFolders());
    expect(again.map((f) => f.id)).toEqual(folders.map((f) => f.id));
    expect(dovecot.users.some((u) => u.user === "bob")).toBe(true);
  });
});
