// A lost condition of §3 in plain language: what the check saw, what it expected, what the customer should
// change. Reads the evidence the eligibility checks record (src/service/eligibility.ts); anything it does
// not recognise is left out rather than guessed.
import { formatDate, type Lang, messages } from "./i18n";

export interface Explanation {
  condition: string;
  title: string;
  found: string[];
  expected: string | null;
  toDo: string;
}

type Ev = Record<string, unknown>;
const obj = (x: unknown): Ev => (x && typeof x === "object" && !Array.isArray(x) ? (x as Ev) : {});
const strs = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === "string") : []);
const list = (xs: string[], l: Lang) => new Intl.ListFormat(l, { type: "conjunction" }).format(xs);

export function explainCondition(condition: string, evidence: unknown, l: Lang): Explanation {
  const m = messages[l];
  const L = m.lost;
  const ev = obj(evidence);
  const title = m.conditions[condition] ?? condition;
  switch (condition) {
    case "domain_held": {
      const found: string[] = [];
      const own = ev.ownRecord === null ? null : obj(ev.ownRecord);
      if (own === null) found.push(L.notInRecords);
      else if (typeof own.status === "string" && own.status !== "active") found.push(L.ownStatus(own.status));
      else if (typeof own.expiresAt === "string" && Date.parse(own.expiresAt) < Date.now())
        found.push(L.expired(formatDate(own.expiresAt, l, false)));
      const rdap = obj(ev.rdap);
      if (rdap.notFound) found.push(L.noDomain);
      if (strs(rdap.status).some((s) => s === "pending delete" || s === "redemption period")) found.push(L.dying);
      const reg = obj(rdap.registrar);
      const want = String(ev.expectedRegistrar ?? "").toLowerCase();
      if ((reg.name || reg.ianaId) && String(reg.ianaId ?? "").toLowerCase() !== want && String(reg.name ?? "").toLowerCase() !== want)
        found.push(L.registrar(String(reg.name ?? `IANA ${reg.ianaId}`)));
      return { condition, title, found, expected: null, toDo: L.domainToDo };
    }
    case "address_exists":
      return { condition, title, found: [L.noAccount], expected: null, toDo: L.accountToDo };
    case "provider_dns": {
      const ns = strs(ev.ns);
      const want = list(strs(ev.expected), l);
      return { condition, title, found: [ns.length ? L.ns(list(ns, l)) : L.noNs], expected: want, toDo: L.nsToDo(want) };
    }
    case "mx_pop3": {
      const found: string[] = [];
      const todo: string[] = [];
      const mx = obj(ev.mx);
      const wantMx = strs(ev.expectedMx);
      const hosts = strs(mx.hosts);
      if (!("error" in mx) && (!hosts.length || hosts.some((h) => !wantMx.includes(h)))) {
        found.push(hosts.length ? L.mx(list(hosts, l)) : L.noMx);
        todo.push(L.mxToDo(list(wantMx, l)));
      }
      const pop = obj(ev.pop3);
      const name = String(pop.name ?? "pop3");
      const wantPop = String(ev.expectedPop3 ?? "");
      const chain = strs(pop.chain);
      const a = strs(pop.a);
      const providerA = strs(pop.providerA);
      const popLost =
        pop.lost !== undefined ||
        (typeof pop.cname === "string" && !chain.includes(wantPop)) ||
        (a.length > 0 && providerA.length > 0 && a.some((ip) => !providerA.includes(ip)));
      if (popLost) {
        found.push(typeof pop.cname === "string" ? L.pop3(name, pop.cname) : a.length ? L.pop3(name, list(a, l)) : L.noPop3(name));
        todo.push(L.pop3ToDo(name, wantPop));
      }
      const expected = [wantMx.length ? `MX ${list(wantMx, l)}` : "", wantPop ? `${name} → ${wantPop}` : ""].filter(Boolean).join("; ");
      return { condition, title, found, expected: expected || null, toDo: todo.join(" ") || L.mxToDo(list(wantMx, l)) };
    }
    default:
      return { condition, title, found: [], expected: null, toDo: messages[l].otherToDo };
  }
}
