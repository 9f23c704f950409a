// Login names and mailbox addresses. A mailbox is named by its lower-case address (user@domain, IDN domains
// in punycode). Devices log in as user@domain or DOMAIN\user ("domain.tld\user").

const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
const LOCAL = /^[^\s@\\"(),:;<>[\]]+$/;
const DOMAIN_CHARS = /^[^\s@\\/:?#[\]%]+$/;

function normaliseDomain(domain: string): string | null {
  if (!DOMAIN_CHARS.test(domain)) return null;
  let host: string;
  try {
    host = new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
  if (!host.includes(".") || host.startsWith(".") || host.endsWith(".") || /^[\d.]+$/.test(host)) return null;
  return host;
}

/** user@domain or domain\user → "user@domain" in lower case; null when it is not a usable address. */
export function normaliseAddress(login: string): string | null {
  let s = login.trim();
  const backslash = s.indexOf("\\");
  if (backslash >= 0) {
    if (s.includes("@")) return null;
    s = `${s.slice(backslash + 1)}@${s.slice(0, backslash)}`;
  }
  const at = s.lastIndexOf("@");
  if (at <= 0 || at === s.length - 1) return null;
  const local = s.slice(0, at).toLowerCase();
  if (local.length > MAX_LOCAL || !LOCAL.test(local)) return null;
  const domain = normaliseDomain(s.slice(at + 1));
  if (!domain) return null;
  const address = `${local}@${domain}`;
  return address.length <= MAX_ADDRESS ? address : null;
}

/**
 * Whether the User query parameter names the authenticated mailbox. Devices send the full address, the bare
 * user name, or DOMAIN\user with a NetBIOS-style domain; the latter two can only be compared by their user part.
 */
export function sameUser(userParam: string, address: string): boolean {
  const full = normaliseAddress(userParam);
  if (full) return full === address;
  const bare = userParam.includes("\\") ? userParam.slice(userParam.lastIndexOf("\\") + 1) : userParam;
  if (bare.includes("@")) return false;
  return bare.trim().toLowerCase() === address.slice(0, address.lastIndexOf("@"));
}
