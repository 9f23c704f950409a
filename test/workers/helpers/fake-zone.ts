// A fake DNS zone behind a DoH JSON endpoint and a fake RDAP server, as one injectable fetcher.
// Tests change records between runs and count the queries.

type RR = "A" | "CNAME" | "MX" | "NS";
const TYPE_CODES: Record<RR, number> = { A: 1, CNAME: 5, MX: 15, NS: 2 };

export interface RdapDomain {
  status?: string[];
  expiresAt?: string;
  registrar?: { name: string; ianaId: string } | null;
}

export class FakeZone {
  records = new Map<string, Partial<Record<RR, string[]>>>();
  servfail = new Set<string>();
  rdap = new Map<string, RdapDomain | "down">();
  /** Every DoH query as "TYPE name", every RDAP lookup as "RDAP name". */
  log: string[] = [];
  networkDown = false;

  set(name: string, type: RR, values: string[]) {
    const r = this.records.get(name) ?? {};
    r[type] = values;
    this.records.set(name, r);
    return this;
  }

  /** A domain that meets every condition of §3 with the test provider parameters. */
  compliant(domain: string) {
    this.set(domain, "NS", ["ns1.provider.test.", "ns2.provider.test."]);
    this.set(domain, "MX", ["10 mx1.provider.test.", "20 mx2.provider.test."]);
    this.set(`pop3.${domain}`, "CNAME", ["pop3.provider.test."]);
    this.set("pop3.provider.test", "A", ["192.0.2.110"]);
    this.rdap.set(domain, {
      status: ["active", "client transfer prohibited"],
      expiresAt: "2030-01-01T00:00:00Z",
      registrar: { name: "Provider Registrar SAS", ianaId: "4242" },
    });
    return this;
  }

  fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (this.networkDown) throw new TypeError("Network connection lost.");
    if (url.pathname.startsWith("/dns-query")) return this.doh(url, new Headers(init?.headers));
    const m = /\/domain\/([^/]+)$/.exec(url.pathname);
    if (m) return this.rdapAnswer(decodeURIComponent(m[1]!));
    return new Response("not found", { status: 404 });
  };

  private doh(url: URL, headers: Headers): Response {
    if (headers.get("accept") !== "application/dns-json") return new Response("bad accept", { status: 415 });
    const name = url.searchParams.get("name")!.toLowerCase().replace(/\.$/, "");
    const type = url.searchParams.get("type") as RR;
    this.log.push(`${type} ${name}`);
    if (this.servfail.has(name)) return Response.json({ Status: 2, Question: [{ name, type: TYPE_CODES[type] }] });
    const node = this.records.get(name);
    if (!node) return Response.json({ Status: 3, Question: [{ name, type: TYPE_CODES[type] }] });
    const answer: { name: string; type: number; TTL: number; data: string }[] = [];
    let cur = name;
    // Follow a CNAME like a recursive resolver does (the chain appears in Answer).
    for (let i = 0; i < 5; i++) {
      const n = this.records.get(cur);
      if (!n) break;
      if (type !== "CNAME" && n.CNAME?.length) {
        answer.push({ name: cur + ".", type: 5, TTL: 300, data: n.CNAME[0]! });
        cur = n.CNAME[0]!.replace(/\.$/, "");
        continue;
      }
      for (const v of n[type] ?? []) answer.push({ name: cur + ".", type: TYPE_CODES[type], TTL: 300, data: v });
      break;
    }
    return Response.json({ Status: 0, Question: [{ name, type: TYPE_CODES[type] }], Answer: answer });
  }

  private rdapAnswer(domain: string): Response {
    this.log.push(`RDAP ${domain}`);
    const d = this.rdap.get(domain);
    if (d === "down") return new Response("unavailable", { status: 503 });
    if (!d) return Response.json({ errorCode: 404, title: "Not Found" }, { status: 404 });
    return Response.json(
      {
        objectClassName: "domain",
        ldhName: domain.toUpperCase(),
        status: d.status ?? ["active"],
        events: [
          { eventAction: "registration", eventDate: "2020-01-01T00:00:00Z" },
          ...(d.expiresAt ? [{ eventAction: "expiration", eventDate: d.expiresAt }] : []),
        ],
        entities: d.registrar
          ? [
              {
                objectClassName: "entity",
                roles: ["registrar"],
                publicIds: [{ type: "IANA Registrar ID", identifier: d.registrar.ianaId }],
                vcardArray: [
                  "vcard",
                  [
                    ["version", {}, "text", "4.0"],
                    ["fn", {}, "text", d.registrar.name],
                  ],
                ],
              },
            ]
          : [],
      },
      { headers: { "content-type": "application/rdap+json" } },
    );
  }
}

/** Provider parameters matching `FakeZone.compliant`. */
export const TEST_PROVIDER = {
  PROVIDER_NAMESERVERS: "ns1.provider.test,ns2.provider.test",
  PROVIDER_MX_HOSTS: "mx1.provider.test,mx2.provider.test",
  PROVIDER_POP3_HOST: "pop3.provider.test",
  PROVIDER_REGISTRAR: "4242",
  DOH_URL: "https://doh.test/dns-query",
  RDAP_URL: "https://rdap.test",
  RENEWAL_PAYMENT: "auto",
};
