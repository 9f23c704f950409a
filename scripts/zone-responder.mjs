// A local DNS-over-HTTPS JSON + RDAP responder for trying the eligibility checks (§3) without the internet.
//   npx node scripts/zone-responder.mjs zone.json [port]     (default port 8053)
// then in .dev.vars: DOH_URL=http://127.0.0.1:8053/dns-query and RDAP_URL=http://127.0.0.1:8053
// zone.json is read again on every request, so editing an MX or NS record and running the sweep shows the effect:
//   { "records": { "shop.test": { "NS": ["ns1.provider.example."], "MX": ["10 mx1.provider.example."] },
//                  "pop3.shop.test": { "CNAME": ["pop3.provider.example."] } },
//     "rdap": { "shop.test": { "status": ["active"], "expiresAt": "2030-01-01T00:00:00Z",
//                              "registrar": { "name": "Provider Registrar", "ianaId": "9999" } } },
//     "servfail": [] }
import { readFileSync } from "node:fs";
import http from "node:http";

const TYPE_CODES = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };

function dohAnswer(zone, name, type) {
  name = name.toLowerCase().replace(/\.$/, "");
  if ((zone.servfail ?? []).includes(name)) return { Status: 2 };
  const records = zone.records ?? {};
  if (!records[name]) return { Status: 3 };
  const answer = [];
  let cur = name;
  for (let i = 0; i < 5 && records[cur]; i++) {
    const node = records[cur];
    if (type !== "CNAME" && node.CNAME?.length) {
      answer.push({ name: `${cur}.`, type: 5, TTL: 300, data: node.CNAME[0] });
      cur = node.CNAME[0].replace(/\.$/, "").toLowerCase();
      continue;
    }
    for (const data of node[type] ?? []) answer.push({ name: `${cur}.`, type: TYPE_CODES[type] ?? 0, TTL: 300, data });
    break;
  }
  return { Status: 0, Question: [{ name, type: TYPE_CODES[type] ?? 0 }], Answer: answer };
}

function rdapAnswer(zone, domain) {
  const d = zone.rdap?.[domain.toLowerCase()];
  if (!d) return [404, { errorCode: 404, title: "Not Found" }];
  return [
    200,
    {
      objectClassName: "domain",
      ldhName: domain.toUpperCase(),
      status: d.status ?? ["active"],
      events: d.expiresAt ? [{ eventAction: "expiration", eventDate: d.expiresAt }] : [],
      entities: d.registrar
        ? [
            {
              objectClassName: "entity",
              roles: ["registrar"],
              publicIds: [{ type: "IANA Registrar ID", identifier: String(d.registrar.ianaId) }],
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
  ];
}

/**
 * @param {{ port?: number, zone: object | (() => object) }} opts  `zone` may be an object the caller mutates, or a loader.
 * @returns {Promise<{ url: string, queries: string[], close: () => Promise<void> }>}
 */
export function startZoneResponder({ port = 0, zone }) {
  const load = typeof zone === "function" ? zone : () => zone;
  const queries = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let status = 200;
    let body;
    let type = "application/dns-json";
    if (url.pathname === "/dns-query") {
      const name = url.searchParams.get("name") ?? "";
      const rr = (url.searchParams.get("type") ?? "A").toUpperCase();
      queries.push(`${rr} ${name}`);
      body = dohAnswer(load(), name, rr);
    } else if (url.pathname.startsWith("/domain/")) {
      const domain = decodeURIComponent(url.pathname.slice("/domain/".length));
      queries.push(`RDAP ${domain}`);
      [status, body] = rdapAnswer(load(), domain);
      type = "application/rdap+json";
    } else {
      status = 404;
      body = { error: "not found" };
    }
    res.writeHead(status, { "content-type": type });
    res.end(JSON.stringify(body));
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      resolve({ url, queries, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: npx node scripts/zone-responder.mjs zone.json [port]");
    process.exit(2);
  }
  const r = await startZoneResponder({ port: Number(process.argv[3] ?? 8053), zone: () => JSON.parse(readFileSync(file, "utf8")) });
  console.log(`zone responder on ${r.url}: DOH_URL=${r.url}/dns-query RDAP_URL=${r.url}`);
}
