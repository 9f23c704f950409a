// RDAP domain lookup (RFC 9083 JSON; RFC 9082 query path `domain/<name>`), reduced to the facts §3 needs.

export interface RdapFacts {
  ldhName: string | null;
  status: string[];
  expiresAt: string | null;
  registrar: { name: string | null; ianaId: string | null } | null;
}

export type RdapResult =
  | { kind: "found"; facts: RdapFacts }
  /** The registry says the domain does not exist (HTTP 404): a definite answer. */
  | { kind: "not_found" }
  | { kind: "unknown"; error: string };

interface RdapEntity {
  roles?: string[];
  publicIds?: { type: string; identifier: string }[];
  vcardArray?: [string, [string, unknown, string, unknown][]];
  entities?: RdapEntity[];
}

export async function lookupDomain(base: string, domain: string, fetcher: typeof fetch, timeoutMs = 5000): Promise<RdapResult> {
  let res: Response;
  try {
    res = await fetcher(`${base}/domain/${encodeURIComponent(domain)}`, {
      headers: { accept: "application/rdap+json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    return { kind: "unknown", error: (e as Error)?.name === "TimeoutError" ? "timeout" : String((e as Error)?.message ?? e) };
  }
  if (res.status === 404) return { kind: "not_found" };
  if (!res.ok) return { kind: "unknown", error: `HTTP ${res.status}` };
  let j: { ldhName?: string; status?: string[]; events?: { eventAction: string; eventDate: string }[]; entities?: RdapEntity[] };
  try {
    j = await res.json();
  } catch {
    return { kind: "unknown", error: "response is not RDAP JSON" };
  }
  const registrarEntity = (j.entities ?? []).find((e) => e.roles?.includes("registrar")) ?? null;
  const fn = registrarEntity?.vcardArray?.[1]?.find((p) => p[0] === "fn")?.[3];
  return {
    kind: "found",
    facts: {
      ldhName: j.ldhName ?? null,
      status: (j.status ?? []).map((s) => s.toLowerCase()),
      expiresAt: j.events?.find((e) => e.eventAction === "expiration")?.eventDate ?? null,
      registrar: registrarEntity
        ? {
            name: typeof fn === "string" ? fn : null,
            ianaId: registrarEntity.publicIds?.find((p) => p.type === "IANA Registrar ID")?.identifier ?? null,
          }
        : null,
    },
  };
}
