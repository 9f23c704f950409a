// A DNS-over-HTTPS JSON client (application/dns-json, as served by Cloudflare and Google).
// Any failure to get a definite answer is reported as `unknown`, never as an empty answer.

export type RRType = "A" | "AAAA" | "CNAME" | "MX" | "NS" | "TXT";
const TYPE_NAMES: Record<number, RRType> = { 1: "A", 28: "AAAA", 5: "CNAME", 15: "MX", 2: "NS", 16: "TXT" };

export interface DnsRecord {
  name: string;
  type: RRType | string;
  data: string;
}

export type DnsResult =
  /** rcode NOERROR (0) or NXDOMAIN (3): a definite answer, possibly empty. */
  | { kind: "answer"; rcode: 0 | 3; records: DnsRecord[] }
  /** SERVFAIL, other rcodes, HTTP errors, timeouts, bad JSON. */
  | { kind: "unknown"; error: string };

export class DohJsonClient {
  constructor(
    private readonly endpoint: string,
    private readonly fetcher: typeof fetch,
    private readonly timeoutMs = 5000,
  ) {}

  async query(name: string, type: RRType): Promise<DnsResult> {
    const url = `${this.endpoint}${this.endpoint.includes("?") ? "&" : "?"}name=${encodeURIComponent(name)}&type=${type}`;
    let res: Response;
    try {
      res = await this.fetcher(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      return {
        kind: "unknown",
        error: `${type} ${name}: ${(e as Error)?.name === "TimeoutError" ? "timeout" : String((e as Error)?.message ?? e)}`,
      };
    }
    if (!res.ok) return { kind: "unknown", error: `${type} ${name}: HTTP ${res.status}` };
    let body: { Status?: number; Answer?: { name: string; type: number; data: string }[] };
    try {
      body = await res.json();
    } catch {
      return { kind: "unknown", error: `${type} ${name}: response is not DoH JSON` };
    }
    if (body.Status !== 0 && body.Status !== 3)
      return { kind: "unknown", error: `${type} ${name}: rcode ${body.Status ?? "missing"}${body.Status === 2 ? " (SERVFAIL)" : ""}` };
    const records = (body.Answer ?? []).map((a) => ({ name: a.name, type: TYPE_NAMES[a.type] ?? String(a.type), data: a.data }));
    return { kind: "answer", rcode: body.Status, records };
  }
}
