// Helpers of the bridged-mailbox tests: a mailbox object pointed at the test Dovecot (plain IMAP on
// loopback) and Radicale, and a "device" that speaks to it through the Mailbox RPCs the EAS commands use.
import { env, exports } from "cloudflare:workers";
import { expect, inject } from "vitest";
import type { FolderSyncResult } from "../../src/mailbox/folder-sync";
import type { ClientAdd, ClientMailChange, SyncOptions, SyncRequest, SyncResult } from "../../src/eas/sync-types";
import { type DecodedCollection, decodedCollection } from "./helpers/decoded-sync";
import type { BridgeBackend } from "../../src/mailbox/contract";

export const dovecot = inject("dovecot");

/** The account `user` of the test Dovecot and Radicale, as a bridged mailbox "<user>@bridge.test". */
export function account(user: string) {
  const address = `${user}@bridge.test`;
  return { address, login: { username: address, password: `${user} secret` }, mailbox: () => env.MAILBOX.getByName(address) };
}

export function backend(opts: { dav?: boolean; push?: "notify" | "poll"; smtp?: BridgeBackend["smtp"] } = {}): BridgeBackend {
  return {
    kind: "imap",
    imap: { host: dovecot.host, port: dovecot.imapPort, tls: "none" },
    smtp: opts.smtp ?? { host: "127.0.0.1", port: 25, tls: "none" },
    ...(opts.dav ? { dav: { url: `${env.RADICALE_URL}/` } } : {}),
    ...(opts.push ? { push: opts.push } : {}),
  };
}

/** Makes `address` a bridged mailbox of the test Dovecot through the admin API, as an operator would (201). */
export async function bridgeThroughAdmin(address: string, push: "notify" | "poll"): Promise<void> {
  const created = await exports.default.fetch(
    new Request("https://sync.example.test/admin/v1/mailboxes", {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify({ address, backend: backend({ push, smtp: { host: "127.0.0.1", port: 2525, tls: "none" } }) }),
    }),
  );
  expect(created.status).toBe(201);
}

export const MAIL_OPTIONS: SyncOptions = {
  filterType: 0,
  bodyPreferences: [{ type: 1, truncationSize: 2000 }],
  mimeSupport: 0,
  conflict: 1,
};

type Stub = ReturnType<ReturnType<typeof account>["mailbox"]>;

/** A phone through the Mailbox RPCs, as the EAS commands call them (the front door's part is not here). */
export class RpcDevice {
  constructor(
    readonly mb: () => Stub,
    readonly deviceId: string,
    readonly user: string,
    readonly protocolVersion = "16.1",
  ) {}

  async folderSync(key = "0"): Promise<FolderSyncResult> {
    return this.mb().folderSync(this.deviceId, key);
  }

  request(
    collectionId: string,
    syncKey: string,
    c: Partial<{
      windowSize: number;
      changes: ClientMailChange[];
      deletes: string[];
      adds: ClientAdd[];
      fetches: string[];
      deletesAsMoves: boolean;
      options: SyncOptions;
    }> = {},
  ): SyncRequest {
    return {
      deviceId: this.deviceId,
      deviceType: "RpcPhone",
      user: this.user,
      protocolVersion: this.protocolVersion,
      empty: false,
      partial: false,
      collections: [
        {
          collectionId,
          syncKey,
          getChanges: syncKey === "0" ? undefined : true,
          windowSize: c.windowSize,
          deletesAsMoves: c.deletesAsMoves,
          options: c.options ?? (syncKey === "0" ? MAIL_OPTIONS : undefined),
          changes: c.changes ?? [],
          deletes: c.deletes ?? [],
          adds: c.adds ?? [],
          fetches: c.fetches ?? [],
        },
      ],
    };
  }

  /** One collection's answer, its Responses and Commands decoded from the WBXML the object renders them to. */
  async sync(collectionId: string, syncKey: string, c: Parameters<RpcDevice["request"]>[2] = {}): Promise<DecodedCollection | null> {
    const r: SyncResult = await this.mb().sync(this.request(collectionId, syncKey, c));
    expect(r.status).toBe(1);
    const found = r.collections.find((x) => x.collectionId === collectionId);
    return found ? decodedCollection(found) : null;
  }

  /** SyncKey 0, then pages of `windowSize` to the end: the key and every ServerId added, in order. */
  async syncToEnd(collectionId: string, windowSize = 100, key = "0"): Promise<{ key: string; adds: string[]; pages: number }> {
    if (key === "0") key = (await this.sync(collectionId, "0"))!.syncKey;
    const adds: string[] = [];
    let pages = 0;
    for (let i = 0; i < 200; i++) {
      const r = await this.sync(collectionId, key, { windowSize });
      if (!r) break;
      pages++;
      adds.push(...r.commands.filter((x) => x.op === "Add").map((x) => x.serverId));
      key = r.syncKey;
      if (!r.moreAvailable) break;
    }
    return { key, adds, pages };
  }
}

export function message(subject: string, body = "Hello from the bridge test.\n"): string {
  return `From: Sender <sender@example.test>\r\nTo: someone@bridge.test\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\r?\n/g, "\r\n")}`;
}
