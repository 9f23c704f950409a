// Where a recipient's mail goes. Decision: the built-in user directory (D1 `accounts`, looked up with the
// same rule as inbound mail: exact address, then without a +tag; `RecipientAccounts`, given to the object by
// src/index.ts) is the truth for "this service stores that mailbox". It is read only from the outbox alarm,
// never on a device request.
// LOCAL_DOMAINS (comma-separated) names the domains whose mail this service receives: an address there
// with no account bounces at once instead of being relayed back to ourselves through the MX.
import type { RecipientAccounts } from "./contract";

export type Route = { kind: "local"; mailbox: string } | { kind: "unknown-local" } | { kind: "remote" };

export interface Directory {
  route(address: string): Promise<Route>;
}

export function localDomains(env: { LOCAL_DOMAINS?: string }): Set<string> {
  return new Set(
    (env.LOCAL_DOMAINS ?? "")
      .split(/[\s,]+/)
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
  );
}

export class AccountsDirectory implements Directory {
  private readonly domains: Set<string>;
  constructor(
    private readonly accounts: RecipientAccounts,
    env: { LOCAL_DOMAINS?: string },
  ) {
    this.domains = localDomains(env);
  }

  async route(address: string): Promise<Route> {
    const mailbox = await this.accounts.accountFor(address);
    if (mailbox) return { kind: "local", mailbox };
    return this.domains.has(address.toLowerCase().split("@")[1] ?? "") ? { kind: "unknown-local" } : { kind: "remote" };
  }
}
