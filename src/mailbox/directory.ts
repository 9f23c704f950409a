// Where a recipient's mail goes. Decision: the built-in user directory (D1 `accounts`) is the truth for
// "this service stores that mailbox". It is read only from the outbox alarm, never on a device request.
// LOCAL_DOMAINS (comma-separated) names the domains whose mail this service receives: an address there
// with no account is bounced at once instead of being relayed back to ourselves through the MX.

export type Route = "local" | "unknown-local" | "remote";

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
    private readonly db: D1Database | undefined,
    env: { LOCAL_DOMAINS?: string },
  ) {
    this.domains = localDomains(env);
  }

  async route(address: string): Promise<Route> {
    const addr = address.toLowerCase();
    if (this.db) {
      const row = await this.db.prepare("SELECT 1 AS found FROM accounts WHERE address = ?").bind(addr).first<{ found: number }>();
      if (row) return "local";
    }
    return this.domains.has(addr.split("@")[1] ?? "") ? "unknown-local" : "remote";
  }
}
