// What `npm run deploy` refuses to ship (README, "Deploying"): placeholders and example values left in the
// wrangler config, no route for the sync host, and secrets not set on the account. Pure functions over the
// config's text and the list of secret names, so the test runs them without a Cloudflare account.

/** [pattern, what to do] for values that only make sense in the repository's example config. */
const PLACEHOLDERS = [
  [
    /database_id\s*=\s*"0{8}-0{4}-0{4}-0{4}-0{12}"/,
    "d1_databases.database_id is the placeholder: `npx wrangler d1 create mobile-sync` and paste its id",
  ],
  [/^\s*PROVIDER_NAMESERVERS\s*=\s*".*\.example\b.*"/m, "PROVIDER_NAMESERVERS holds example values (ns1.provider.example…)"],
  [/^\s*PROVIDER_MX_HOSTS\s*=\s*".*\.example\b.*"/m, "PROVIDER_MX_HOSTS holds example values"],
  [/^\s*PROVIDER_POP3_HOST\s*=\s*".*\.example\b.*"/m, "PROVIDER_POP3_HOST holds an example value"],
  [/^\s*PROVIDER_REGISTRAR\s*=\s*"9999"/m, 'PROVIDER_REGISTRAR is the example "9999" (your IANA registrar id or name)'],
  [/^\s*[A-Z_]+\s*=\s*".*\bCHANGE-ME\b.*"/m, "a value still says CHANGE-ME"],
  [/^\s*(routes|pattern)\s*=.*\.example\b/m, "a route still points at an .example host"],
];

/** Uncommented lines only (a commented example must not satisfy or fail a check). */
const live = (toml) =>
  toml
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join("\n");

/** A `[vars]` value, or undefined. */
export function varOf(toml, name) {
  const m = live(toml).match(new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, "m"));
  return m?.[1];
}

/** Problems with the config itself: placeholders, example values, no route. Empty: ready. */
export function configProblems(toml) {
  const text = live(toml);
  const problems = PLACEHOLDERS.filter(([re]) => re.test(text)).map(([, say]) => say);
  if (!/^\s*routes\s*=|^\s*\[\[routes\]\]|^\s*route\s*=/m.test(text))
    problems.push(
      'no route: add the sync host (and autodiscover hosts) under routes, e.g. { pattern = "sync.example.net", custom_domain = true }',
    );
  if (!varOf(toml, "SMTP_HOST")) problems.push("SMTP_HOST is not set in [vars]: outside mail would wait and bounce");
  return problems;
}

/** Secrets the Worker needs, given its vars: ADMIN_TOKEN, NOTIFY_SECRET, LOG_HASH_KEY, and SMTP_PASSWORD with SMTP_USER. */
export function requiredSecrets(toml) {
  const need = ["ADMIN_TOKEN", "NOTIFY_SECRET", "LOG_HASH_KEY"];
  if (varOf(toml, "SMTP_USER") !== undefined) need.push("SMTP_PASSWORD");
  return need;
}

/** Required secrets not among `present` (names from `wrangler secret list`). */
export function missingSecrets(toml, present) {
  const have = new Set(present);
  return requiredSecrets(toml).filter((s) => !have.has(s));
}

/** The D1 database name (for `wrangler d1 migrations apply <name> --remote`). */
export function databaseName(toml) {
  return live(toml).match(/database_name\s*=\s*"([^"]+)"/)?.[1];
}
