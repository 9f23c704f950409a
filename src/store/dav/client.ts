// A CalDAV/CardDAV client over fetch: short requests, no held connections (a mailbox object must be able to
// hibernate). Discovery (RFC 6764 well-known, RFC 5397 current-user-principal, RFC 4791 §6.2.1
// calendar-home-set, RFC 6352 §7.1.1 addressbook-home-set), sync-collection (RFC 6578), PROPFIND getetag
// listing for servers without it, calendar-/addressbook-multiget, and conditional PUT/DELETE.
// A server that cannot be reached, times out or answers 5xx raises StoreUnavailableError.
import { StoreUnavailableError } from "../types";
import { isLoopbackHost } from "../loopback";
import { CALDAV, CARDDAV, child, children, DAV, escapeXml, parseXml, XmlParseError, type XmlNode } from "./xml";
import { utf8ToBase64 } from "../../formats/base64";

export interface DavAccount {
  /** Where discovery starts: the server's root or any URL on it (e.g. https://dav.example.net/). */
  url: string;
  username: string;
  password: string;
}

export interface DavClientOptions {
  fetch?: typeof fetch;
  /** Per request (default 15 s). */
  timeoutMs?: number;
}

export type DavKind = "calendar" | "addressbook";

export interface DavCollectionInfo {
  /** Absolute path, decoded, ending in "/". */
  href: string;
  kind: DavKind;
  displayName: string;
  /** VEVENT, VTODO, VJOURNAL for calendars; VCARD for address books. */
  components: string[];
  supportsSync: boolean;
}

export interface DavEtag {
  href: string;
  etag: string;
}

export interface DavObject extends DavEtag {
  data: string;
}

export interface SyncResult {
  changed: DavEtag[];
  removed: string[];
  token: string;
}

/** A non-2xx answer the caller may want to act on (412, 404, 409…). 5xx never gets here. */
export class DavHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly url: string,
  ) {
    super(`DAV ${status} at ${url}`);
    this.name = "DavHttpError";
  }
}

/** The server answered that a sync token is no longer valid (RFC 6578 §3.7: DAV:valid-sync-token). */
export class DavInvalidSyncTokenError extends Error {
  constructor() {
    super("sync token no longer valid");
    this.name = "DavInvalidSyncTokenError";
  }
}

interface PropStat {
  status: number;
  prop: XmlNode;
}

interface MsResponse {
  href: string;
  status?: number;
  propstats: PropStat[];
}

const MAX_REDIRECTS = 5;

export class DavClient {
  private readonly fetcher: typeof fetch;
  private readonly timeoutMs: number;
  private readonly auth: string;
  readonly origin: string;

  constructor(
    readonly account: DavAccount,
    opts: DavClientOptions = {},
  ) {
    this.fetcher = opts.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.auth = `Basic ${utf8ToBase64(`${account.username}:${account.password}`)}`;
    const url = new URL(account.url);
    // Issue 8: plain connections only to loopback (tests); a provider's server is reached over TLS.
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname)))
      throw new TypeError(`DAV URL must be https (plain http only to loopback): ${account.url}`);
    this.origin = url.origin;
  }

  // ---------- discovery ----------

  async discover(): Promise<{ principal: string; collections: DavCollectionInfo[] }> {
    const principal = await this.currentUserPrincipal();
    const homes = await this.propfind(principal, 0, `<C:calendar-home-set/><R:addressbook-home-set/>`);
    const props = okProps(homes[0]);
    const calendarHome = hrefIn(child(props, CALDAV, "calendar-home-set"));
    const addressbookHome = hrefIn(child(props, CARDDAV, "addressbook-home-set"));
    const seen = new Set<string>();
    const collections: DavCollectionInfo[] = [];
    for (const home of [calendarHome, addressbookHome]) {
      if (!home || seen.has(home)) continue;
      seen.add(home);
      const listing = await this.propfind(
        home,
        1,
        `<D:resourcetype/><D:displayname/><C:supported-calendar-component-set/><D:supported-report-set/>`,
      );
      for (const r of listing) {
        const p = okProps(r);
        const type = child(p, DAV, "resourcetype");
        const kind: DavKind | undefined = child(type, CALDAV, "calendar")
          ? "calendar"
          : child(type, CARDDAV, "addressbook")
            ? "addressbook"
            : undefined;
        if (!kind || seen.has(`c:${r.href}`)) continue;
        seen.add(`c:${r.href}`);
        const comps = children(child(p, CALDAV, "supported-calendar-component-set"), CALDAV, "comp").map((c) =>
          (c.attrs.name ?? "").toUpperCase(),
        );
        const reports = children(child(p, DAV, "supported-report-set"), DAV, "supported-report").flatMap(
          (s) => child(s, DAV, "report")?.children ?? [],
        );
        collections.push({
          href: dirHref(r.href),
          kind,
          displayName: child(p, DAV, "displayname")?.text.trim() || lastSegment(r.href),
          // RFC 4791 §5.2.3: without the property, any component type may be stored.
          components: kind === "addressbook" ? ["VCARD"] : comps.length ? comps : ["VEVENT", "VTODO"],
          supportsSync: reports.some((n) => n.ns === DAV && n.name === "sync-collection"),
        });
      }
    }
    return { principal, collections };
  }

  private async currentUserPrincipal(): Promise<string> {
    // RFC 6764 §6: the well-known URIs when only a host is known; a configured path is tried first.
    const wellKnown = [`${this.origin}/.well-known/caldav`, `${this.origin}/.well-known/carddav`];
    const candidates = new URL(this.account.url).pathname.length > 1 ? [this.account.url, ...wellKnown] : [...wellKnown, this.account.url];
    for (const start of candidates) {
      let listing: MsResponse[];
      try {
        listing = await this.propfind(start, 0, `<D:current-user-principal/>`);
      } catch (e) {
        if (e instanceof DavHttpError && e.status < 500) continue;
        throw e;
      }
      const href = hrefIn(child(okProps(listing[0]), DAV, "current-user-principal"));
      if (href) return href;
    }
    throw new DavHttpError(404, "no current-user-principal", this.account.url);
  }

  // ---------- reading ----------

  /** RFC 6578 sync-collection at sync-level 1; follows 507 truncation until the server has sent everything. */
  async syncCollection(collection: string, token: string): Promise<SyncResult> {
    const changed = new Map<string, string>();
    const removed = new Set<string>();
    for (let round = 0; round < 1000; round++) {
      const body =
        `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">` +
        `<D:sync-token>${escapeXml(token)}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
      let res: { text: string };
      try {
        res = await this.send("REPORT", collection, { body, depth: "0", xml: true });
      } catch (e) {
        if (e instanceof DavHttpError && (e.status === 403 || e.status === 409 || e.status === 400) && /valid-sync-token/.test(e.body))
          throw new DavInvalidSyncTokenError();
        throw e;
      }
      const root = parseAnswer(res.text);
      let truncated = false;
      for (const r of multistatus(root)) {
        if (sameHref(r.href, collection)) {
          if (r.status === 507) truncated = true;
          continue;
        }
        if (r.status === 404) {
          removed.add(r.href);
          changed.delete(r.href);
          continue;
        }
        const etag = child(okProps(r), DAV, "getetag")?.text.trim();
        if (etag) {
          changed.set(r.href, etag);
          removed.delete(r.href);
        }
      }
      token = child(root, DAV, "sync-token")?.text.trim() ?? token;
      if (!truncated) break;
    }
    return { changed: [...changed].map(([href, etag]) => ({ href, etag })), removed: [...removed], token };
  }

  /** Every member's ETag (PROPFIND Depth 1): the fallback for servers without sync-collection. */
  async listEtags(collection: string): Promise<DavEtag[]> {
    const out: DavEtag[] = [];
    for (const r of await this.propfind(collection, 1, `<D:getetag/><D:resourcetype/>`)) {
      if (sameHref(r.href, collection)) continue;
      const p = okProps(r);
      if (child(child(p, DAV, "resourcetype"), DAV, "collection")) continue;
      const etag = child(p, DAV, "getetag")?.text.trim();
      if (etag) out.push({ href: r.href, etag });
    }
    return out;
  }

  /** calendar-multiget / addressbook-multiget; hrefs the server no longer has are left out of the answer. */
  async multiget(collection: string, kind: DavKind, hrefs: string[]): Promise<DavObject[]> {
    if (hrefs.length === 0) return [];
    const [ns, report, dataProp] =
      kind === "calendar" ? [CALDAV, "calendar-multiget", "calendar-data"] : [CARDDAV, "addressbook-multiget", "address-data"];
    const body =
      `<?xml version="1.0" encoding="utf-8"?><X:${report} xmlns:D="DAV:" xmlns:X="${ns}"><D:prop><D:getetag/><X:${dataProp}/></D:prop>` +
      hrefs.map((h) => `<D:href>${escapeXml(encodePath(h))}</D:href>`).join("") +
      `</X:${report}>`;
    const res = await this.send("REPORT", collection, { body, depth: "1", xml: true });
    const out: DavObject[] = [];
    for (const r of multistatus(parseAnswer(res.text))) {
      const p = okProps(r);
      const etag = child(p, DAV, "getetag")?.text.trim();
      const data = child(p, ns, dataProp)?.text;
      if (etag && data) out.push({ href: r.href, etag, data });
    }
    return out;
  }

  async get(href: string): Promise<DavObject> {
    const res = await this.send("GET", href, {});
    return { href, etag: res.headers.get("ETag") ?? "", data: res.text };
  }

  // ---------- writing ----------

  /**
   * PUT with If-Match (replace) or If-None-Match: * (create). Returns the new ETag when the server stored
   * the body unchanged (RFC 4791 §5.3.4: no ETag in the answer means it was altered; GET it then).
   */
  async put(
    href: string,
    data: string,
    contentType: string,
    cond: { ifMatch: string } | { ifNoneMatch: "*" },
  ): Promise<string | undefined> {
    const headers: Record<string, string> = { "Content-Type": `${contentType}; charset=utf-8` };
    if ("ifMatch" in cond) headers["If-Match"] = cond.ifMatch;
    else headers["If-None-Match"] = "*";
    const res = await this.send("PUT", href, { body: data, headers });
    return res.headers.get("ETag") ?? undefined;
  }

  async delete(href: string, ifMatch: string): Promise<void> {
    await this.send("DELETE", href, { headers: { "If-Match": ifMatch } });
  }

  /**
   * Creates a collection with extended MKCOL (RFC 5689): workerd's fetch refuses the MKCALENDAR method
   * ("Invalid HTTP method string"), and extended MKCOL makes calendars too on servers that support it.
   */
  /** `components` empty: the server's default set. */
  async makeCollection(href: string, kind: DavKind, displayName: string, components: string[] = ["VEVENT"]): Promise<void> {
    const type = kind === "calendar" ? "<C:calendar/>" : "<R:addressbook/>";
    const comps =
      kind === "calendar" && components.length
        ? `<C:supported-calendar-component-set>${components.map((c) => `<C:comp name="${escapeXml(c)}"/>`).join("")}</C:supported-calendar-component-set>`
        : "";
    const body =
      `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:C="${CALDAV}" xmlns:R="${CARDDAV}"><D:set><D:prop>` +
      `<D:resourcetype><D:collection/>${type}</D:resourcetype><D:displayname>${escapeXml(displayName)}</D:displayname>${comps}</D:prop></D:set></D:mkcol>`;
    await this.send("MKCOL", href, { body, xml: true });
  }

  // ---------- transport ----------

  private async propfind(url: string, depth: 0 | 1, props: string): Promise<MsResponse[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="${CALDAV}" xmlns:R="${CARDDAV}"><D:prop>${props}</D:prop></D:propfind>`;
    const res = await this.send("PROPFIND", url, { body, depth: String(depth), xml: true });
    return multistatus(parseAnswer(res.text));
  }

  /**
   * One request, its body read in full inside the same timeout (a server that sends headers and then
   * stalls must not hang the mailbox). Redirects followed by hand so PROPFIND stays PROPFIND.
   * Non-2xx → DavHttpError; unreachable, timed out, cut off or 5xx → StoreUnavailableError.
   */
  private async send(
    method: string,
    url: string,
    opts: { body?: string; depth?: string; xml?: boolean; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; text: string }> {
    let target = this.resolve(url);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { Authorization: this.auth, ...opts.headers };
      if (opts.depth !== undefined) headers.Depth = opts.depth;
      if (opts.xml) headers["Content-Type"] = "application/xml; charset=utf-8";
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), this.timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await this.fetcher(target, { method, headers, body: opts.body, redirect: "manual", signal: ctl.signal });
        text = await res.text();
      } catch (e) {
        throw new StoreUnavailableError(`DAV server unreachable (${method} ${target}): ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      const location = res.headers.get("Location");
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, target);
        // The account's password goes only to the origin the administrator configured.
        if (next.origin !== this.origin) throw new DavHttpError(res.status, `redirect to another origin: ${next.origin}`, target);
        target = next.toString();
        continue;
      }
      if (res.status >= 500 && res.status !== 507) throw new StoreUnavailableError(`DAV server error ${res.status} (${method} ${target})`);
      if (res.status >= 400) throw new DavHttpError(res.status, text.slice(0, 4000), target);
      return { status: res.status, headers: res.headers, text };
    }
    throw new DavHttpError(310, "too many redirects", target);
  }

  private resolve(hrefOrUrl: string): string {
    return /^https?:/i.test(hrefOrUrl) ? hrefOrUrl : this.origin + encodePath(hrefOrUrl);
  }
}

/** A 2xx body that is not XML is a server malfunction: retry later rather than fail the device's request. */
function parseAnswer(text: string): XmlNode {
  try {
    return parseXml(text);
  } catch (e) {
    if (e instanceof XmlParseError) throw new StoreUnavailableError(`DAV answer not understood: ${e.message}`);
    throw e;
  }
}

function multistatus(root: XmlNode): MsResponse[] {
  if (root.ns !== DAV || root.name !== "multistatus")
    throw new StoreUnavailableError(`DAV answer not understood: <${root.name}> instead of a multistatus`);
  return children(root, DAV, "response").flatMap((r) => {
    const href = child(r, DAV, "href")?.text.trim();
    if (!href) return [];
    const status = child(r, DAV, "status");
    return [
      {
        href: normalizeHref(href),
        status: status ? statusCode(status.text) : undefined,
        propstats: children(r, DAV, "propstat").map((ps) => ({
          status: statusCode(child(ps, DAV, "status")?.text ?? ""),
          prop: child(ps, DAV, "prop") ?? emptyProp,
        })),
      },
    ];
  });
}

const emptyProp: XmlNode = { ns: DAV, name: "prop", attrs: {}, children: [], text: "" };

/** The properties found (200) in a response, merged into one prop element. */
function okProps(r: MsResponse | undefined): XmlNode {
  const found = r?.propstats.filter((p) => p.status >= 200 && p.status < 300) ?? [];
  return { ...emptyProp, children: found.flatMap((p) => p.prop.children) };
}

function statusCode(line: string): number {
  const m = /HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line);
  return m ? Number(m[1]) : 0;
}

function hrefIn(node: XmlNode | undefined): string | undefined {
  const h = child(node, DAV, "href")?.text.trim();
  return h ? dirHref(normalizeHref(h)) : undefined;
}

/** An absolute, percent-decoded path: servers differ in how much they encode the same href. */
export function normalizeHref(href: string): string {
  let path: string;
  try {
    path = new URL(href, "http://x").pathname;
  } catch {
    path = href;
  }
  return path
    .split("/")
    .map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    })
    .join("/");
}

export function encodePath(path: string): string {
  return path
    .split("/")
    .map((seg) => encodeURIComponent(seg).replace(/%40/g, "@"))
    .join("/");
}

function dirHref(href: string): string {
  return href.endsWith("/") ? href : href + "/";
}

function sameHref(a: string, b: string): boolean {
  return dirHref(normalizeHref(a)) === dirHref(normalizeHref(b));
}

export function lastSegment(href: string): string {
  return href.replace(/\/+$/, "").split("/").pop() ?? href;
}
