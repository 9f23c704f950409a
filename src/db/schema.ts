import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** The built-in user directory: one row per mailbox login. */
export const accounts = sqliteTable("accounts", {
  address: text("address").primaryKey(),
  passwordHash: text("password_hash").notNull(),
  salt: text("salt").notNull(),
  iterations: integer("iterations").notNull(),
  createdAt: integer("created_at", { mode: "timestamp" }).notNull(),
  failedAttempts: integer("failed_attempts").notNull().default(0),
  lockedUntil: integer("locked_until", { mode: "timestamp" }),
  /** The last counted failure (ms): failures are forgotten a while after it (src/service/lockout.ts). */
  lastFailureAt: integer("last_failure_at", { mode: "timestamp_ms" }),
});

/** Failed logins per client address (CF-Connecting-IP) across accounts, per window (src/service/lockout.ts). */
export const loginClientFailures = sqliteTable("login_client_failures", {
  client: text("client").primaryKey(),
  failures: integer("failures").notNull(),
  /** Start of the current window, ms. */
  windowStart: integer("window_start").notNull(),
});

// ---------------------------------------------------------------------------------------------
// The subscription the contract describes (conditions particulières Mobile Sync, ../shared/seed).
// Times are epoch milliseconds (`timestamp_ms`). Money is integer cents. JSON columns hold evidence.
// Nothing here is ever deleted: suspensions are lifted, subscriptions end in a final state.

/** A customer: `consumer` (French consumer law applies: withdrawal, renewal reminder) or `business`. */
export const customers = sqliteTable(
  "customers",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["consumer", "business"] }).notNull(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("customers_email").on(t.email)],
);

/** The provider's own record of a domain (one of the inputs of the `domain_held` condition, §3). */
export const domains = sqliteTable("domains", {
  name: text("name").primaryKey(),
  customerId: text("customer_id").references(() => customers.id),
  /** `active` while the provider holds it for the customer; `expired`, `transferred_out`, `deleted` otherwise. */
  status: text("status", { enum: ["active", "expired", "transferred_out", "deleted"] })
    .notNull()
    .default("active"),
  expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const mailboxes = sqliteTable("mailboxes", {
  address: text("address").primaryKey(),
  domain: text("domain")
    .notNull()
    .references(() => domains.name),
  customerId: text("customer_id").references(() => customers.id),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * A bridged mailbox (issue 8): its mail lives on the provider's IMAP/SMTP (and DAV) servers, and devices log
 * in with the mail account's own password, checked by the IMAP server. No password here; the failure count
 * and lock protect the IMAP server from guessing, like the built-in accounts' columns.
 * The mailbox object keeps its own copy of the endpoints (src/mailbox/backend.ts) for its stores.
 */
export const mailboxBackends = sqliteTable(
  "mailbox_backends",
  {
    address: text("address")
      .primaryKey()
      .references(() => mailboxes.address),
    kind: text("kind", { enum: ["imap"] }).notNull(),
    imapHost: text("imap_host").notNull(),
    imapPort: integer("imap_port").notNull(),
    imapTls: text("imap_tls", { enum: ["implicit", "starttls", "none"] }).notNull(),
    smtpHost: text("smtp_host").notNull(),
    smtpPort: integer("smtp_port").notNull(),
    smtpTls: text("smtp_tls", { enum: ["implicit", "starttls", "none"] }).notNull(),
    smtpAuth: text("smtp_auth", { enum: ["account", "none"] })
      .notNull()
      .default("account"),
    davUrl: text("dav_url"),
    push: text("push", { enum: ["notify", "poll"] })
      .notNull()
      .default("poll"),
    failedAttempts: integer("failed_attempts").notNull().default(0),
    lockedUntil: integer("locked_until", { mode: "timestamp_ms" }),
    lastFailureAt: integer("last_failure_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("mailbox_backends_imap_host").on(t.imapHost)],
);

export const subscriptionStatuses = [
  "pending_payment",
  "active",
  "grace",
  "suspended",
  "expired",
  "withdrawn",
  "cancelled",
  "terminated",
] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    mailboxAddress: text("mailbox_address")
      .notNull()
      .references(() => mailboxes.address),
    customerId: text("customer_id")
      .notNull()
      .references(() => customers.id),
    status: text("status", { enum: subscriptionStatuses }).notNull(),
    /** Price of one term (§6), in cents. */
    priceCents: integer("price_cents").notNull(),
    currency: text("currency").notNull(),
    /** The consumer expressly asked the service to start before the 14-day withdrawal period ends. */
    startBeforeWithdrawalEnd: integer("start_before_withdrawal_end", { mode: "boolean" }).notNull().default(false),
    orderedAt: integer("ordered_at", { mode: "timestamp_ms" }).notNull(),
    activatedAt: integer("activated_at", { mode: "timestamp_ms" }),
    termStart: integer("term_start", { mode: "timestamp_ms" }),
    termEnd: integer("term_end", { mode: "timestamp_ms" }),
    /** Cancellation stops the next renewal; the current term runs to its end. */
    cancelledAt: integer("cancelled_at", { mode: "timestamp_ms" }),
    graceUntil: integer("grace_until", { mode: "timestamp_ms" }),
    /** When the consumer was told of the coming tacit renewal of the current term (L215-1). */
    reminderSentAt: integer("reminder_sent_at", { mode: "timestamp_ms" }),
    /**
     * Set when a consumer's term was tacitly renewed without the L215-1 reminder sent in time: the consumer may
     * then end the contract at any time, free, with the unused part refunded (L215-1 al. 2 and 3).
     */
    freeTerminationSince: integer("free_termination_since", { mode: "timestamp_ms" }),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
    /** Bumped on every change; the mailbox object ignores a pushed copy older than the one it holds. */
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("subscriptions_mailbox").on(t.mailboxAddress), index("subscriptions_status").on(t.status)],
);

/**
 * A subscription state not yet acknowledged by its mailbox object (issue 13 §5). Written in the same D1 batch as
 * the change, removed when the object answers the push; the state-push cron retries what is due, with backoff.
 * `version` is the subscription version to deliver at least: an acknowledgement of an older push leaves the row.
 */
export const statePushes = sqliteTable(
  "state_pushes",
  {
    subscriptionId: text("subscription_id")
      .primaryKey()
      .references(() => subscriptions.id),
    mailboxAddress: text("mailbox_address").notNull(),
    version: integer("version").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("state_pushes_due").on(t.nextAttemptAt)],
);

/** The "Bon de Commande" (§3): the initial order or a renewal. */
export const orders = sqliteTable("orders", {
  id: text("id").primaryKey(),
  subscriptionId: text("subscription_id")
    .notNull()
    .references(() => subscriptions.id),
  customerId: text("customer_id")
    .notNull()
    .references(() => customers.id),
  kind: text("kind", { enum: ["initial", "renewal"] }).notNull(),
  amountCents: integer("amount_cents").notNull(),
  currency: text("currency").notNull(),
  termStart: integer("term_start", { mode: "timestamp_ms" }),
  termEnd: integer("term_end", { mode: "timestamp_ms" }),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

/** §6: invoiced when the order is issued. */
export const invoices = sqliteTable(
  "invoices",
  {
    id: text("id").primaryKey(),
    number: text("number").notNull().unique(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["open", "paid", "void", "refunded", "partially_refunded"] }).notNull(),
    issuedAt: integer("issued_at", { mode: "timestamp_ms" }).notNull(),
    paidAt: integer("paid_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("invoices_subscription").on(t.subscriptionId)],
);

export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["confirmed", "failed"] }).notNull(),
    reference: text("reference").notNull(),
    failureReason: text("failure_reason"),
    recordedBy: text("recorded_by").notNull(),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("payments_subscription").on(t.subscriptionId)],
);

/** Money given back (withdrawal). `computation` shows how the amount was reached. */
export const refunds = sqliteTable("refunds", {
  id: text("id").primaryKey(),
  subscriptionId: text("subscription_id")
    .notNull()
    .references(() => subscriptions.id),
  invoiceId: text("invoice_id").references(() => invoices.id),
  amountCents: integer("amount_cents").notNull(),
  currency: text("currency").notNull(),
  reason: text("reason").notNull(),
  computation: text("computation", { mode: "json" }).notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

export const eligibilityConditions = ["domain_held", "address_exists", "provider_dns", "mx_pop3"] as const;
export type EligibilityCondition = (typeof eligibilityConditions)[number];
export type EligibilityOutcome = "ok" | "lost" | "unknown";

/** A resumable eligibility sweep: one row per pass over all subscriptions; `cursor` = last subscription id done. */
export const eligibilitySweeps = sqliteTable("eligibility_sweeps", {
  id: text("id").primaryKey(),
  cursor: text("cursor"),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  completedAt: integer("completed_at", { mode: "timestamp_ms" }),
});

/** One eligibility check of one subscription (§3). */
export const eligibilityChecks = sqliteTable(
  "eligibility_checks",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    domain: text("domain").notNull(),
    sweepId: text("sweep_id").references(() => eligibilitySweeps.id),
    trigger: text("trigger").notNull(),
    outcome: text("outcome", { enum: ["ok", "lost", "unknown"] }).notNull(),
    checkedAt: integer("checked_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("eligibility_checks_subscription").on(t.subscriptionId, t.checkedAt),
    index("eligibility_checks_sweep").on(t.sweepId, t.domain),
  ],
);

/** One result per condition, with what was seen (DNS records, RDAP facts). */
export const eligibilityResults = sqliteTable(
  "eligibility_results",
  {
    id: text("id").primaryKey(),
    checkId: text("check_id")
      .notNull()
      .references(() => eligibilityChecks.id),
    condition: text("condition", { enum: eligibilityConditions }).notNull(),
    outcome: text("outcome", { enum: ["ok", "lost", "unknown"] }).notNull(),
    evidence: text("evidence", { mode: "json" }).notNull(),
    checkedAt: integer("checked_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("eligibility_results_check").on(t.checkId)],
);

export const suspensionReasons = ["eligibility", "illicit_use", "other"] as const;
export type SuspensionReason = (typeof suspensionReasons)[number];

export const suspensions = sqliteTable(
  "suspensions",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    reason: text("reason", { enum: suspensionReasons }).notNull(),
    evidence: text("evidence", { mode: "json" }).notNull(),
    noticeId: text("notice_id"),
    suspendedBy: text("suspended_by").notNull(),
    suspendedAt: integer("suspended_at", { mode: "timestamp_ms" }).notNull(),
    liftedAt: integer("lifted_at", { mode: "timestamp_ms" }),
    liftedBy: text("lifted_by"),
    liftReason: text("lift_reason"),
  },
  (t) => [index("suspensions_subscription").on(t.subscriptionId)],
);

/** §4: a third party's notification of manifestly illicit use. */
export const thirdPartyNotices = sqliteTable("third_party_notices", {
  id: text("id").primaryKey(),
  subscriptionId: text("subscription_id")
    .notNull()
    .references(() => subscriptions.id),
  fromName: text("from_name").notNull(),
  fromEmail: text("from_email").notNull(),
  description: text("description").notNull(),
  evidence: text("evidence").notNull(),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  recordedBy: text("recorded_by").notNull(),
  recordedAt: integer("recorded_at", { mode: "timestamp_ms" }).notNull(),
});

/** §4: the customer's answer by e-mail and the documentation showing compliance. */
export const noticeAnswers = sqliteTable("notice_answers", {
  id: text("id").primaryKey(),
  noticeId: text("notice_id")
    .notNull()
    .references(() => thirdPartyNotices.id),
  answer: text("answer").notNull(),
  complianceDocumentation: text("compliance_documentation"),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  recordedBy: text("recorded_by").notNull(),
  recordedAt: integer("recorded_at", { mode: "timestamp_ms" }).notNull(),
});

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    /** e.g. `subscription:<id>`, `mailbox:<address>`, `domain:<name>`. */
    subject: text("subject").notNull(),
    before: text("before", { mode: "json" }),
    after: text("after", { mode: "json" }),
  },
  (t) => [index("audit_subject").on(t.subject, t.id)],
);

export const cronRuns = sqliteTable("cron_runs", {
  id: text("id").primaryKey(),
  cron: text("cron").notNull(),
  job: text("job").notNull(),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  finishedAt: integer("finished_at", { mode: "timestamp_ms" }).notNull(),
  durationMs: integer("duration_ms").notNull(),
  counts: text("counts", { mode: "json" }).notNull(),
  failures: integer("failures").notNull(),
  errors: text("errors", { mode: "json" }).notNull(),
});

/** E-mails to customers, queued here and sent by the service's own mail path (`sent_at` set then). */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    to: text("to").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    kind: text("kind").notNull(),
    subscriptionId: text("subscription_id"),
    queuedAt: integer("queued_at", { mode: "timestamp_ms" }).notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
    lastError: text("last_error"),
  },
  (t) => [index("notifications_unsent").on(t.sentAt, t.queuedAt)],
);

/**
 * The domain's address book (GAL, issue 16): details an admin adds for an address of a domain. Every address
 * the service knows on a domain (accounts, mailboxes) is in its GAL anyway; a row here adds a name, phones,
 * title, company, office, alias addresses and a photo, or lists an address without a mailbox (a shared one).
 * Devices only ever see the rows of their own domain (src/service/gal.ts).
 */
export const galEntries = sqliteTable(
  "gal_entries",
  {
    address: text("address").primaryKey(),
    domain: text("domain").notNull(),
    displayName: text("display_name"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    phone: text("phone"),
    mobilePhone: text("mobile_phone"),
    homePhone: text("home_phone"),
    title: text("title"),
    company: text("company"),
    office: text("office"),
    /** JSON array of other addresses that reach the same person (found by search, shown as the address). */
    aliases: text("aliases").notNull().default("[]"),
    /** JPEG or PNG bytes, base64 (at most 100 KiB decoded, checked by the admin API). */
    photo: text("photo"),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("gal_entries_domain").on(t.domain)],
);
