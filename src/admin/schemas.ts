import { z } from "@hono/zod-openapi";

export const Problem = z
  .object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string() })
  .passthrough()
  .openapi("Problem");
export const problemResponses = {
  400: { description: "Invalid input", content: { "application/problem+json": { schema: Problem } } },
  401: { description: "Missing or wrong bearer token", content: { "application/problem+json": { schema: Problem } } },
  404: { description: "Not found", content: { "application/problem+json": { schema: Problem } } },
  409: { description: "Not allowed in the current state", content: { "application/problem+json": { schema: Problem } } },
} as const;

export const Email = z.string().trim().toLowerCase().pipe(z.email());
export const Address = z.string().trim().toLowerCase().pipe(z.email()).openapi({ example: "demo@example.test" });
export const SubscriptionId = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" }, example: "sub_0123" }),
});

/** Every `amount` in this API is in the currency's minor unit (cents for EUR): 2400 with EUR is 24.00 EUR. */
export const minorUnits = (n: z.ZodNumber) =>
  n.openapi({ description: "In the currency's minor unit (cents for EUR): 2400 = 24.00 EUR", example: 2400 });
export const MinorUnits = minorUnits(z.number().int());
export const Currency = z.string().openapi({ description: "ISO 4217 code", example: "EUR" });
export const Money = z.object({ amount: MinorUnits, currency: Currency }).openapi("Money");
const InvoiceView = z
  .object({
    id: z.string(),
    number: z.string(),
    amount: MinorUnits,
    currency: Currency,
    status: z.string(),
    issued_at: z.string().nullable(),
    paid_at: z.string().nullable(),
  })
  .openapi("Invoice");
const PaymentView = z
  .object({
    id: z.string(),
    invoice_id: z.string(),
    amount: MinorUnits,
    currency: Currency,
    status: z.string(),
    reference: z.string().nullable(),
    failure_reason: z.string().nullable(),
    received_at: z.string().nullable(),
  })
  .openapi("Payment");
const RefundView = z
  .object({
    id: z.string(),
    amount: MinorUnits,
    currency: Currency,
    reason: z.string(),
    computation: z.unknown(),
    created_at: z.string().nullable(),
  })
  .openapi("Refund");

export const ConditionView = z.object({ status: z.enum(["ok", "lost", "unknown"]), evidence: z.unknown(), checked_at: z.string() });
export const SubscriptionView = z
  .object({
    id: z.string(),
    mailbox: z.string(),
    status: z.string(),
    customer: z.object({ id: z.string(), kind: z.enum(["consumer", "business"]), name: z.string(), email: z.string() }),
    price: Money.openapi({ description: "Price of one term" }),
    ordered_at: z.string(),
    activated_at: z.string().nullable(),
    term_start: z.string().nullable(),
    term_end: z.string().nullable(),
    renews: z.boolean(),
    cancelled_at: z.string().nullable(),
    grace_until: z.string().nullable(),
    reminder_sent_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    eligibility: z.record(z.string(), ConditionView).nullable(),
    invoices: z.array(InvoiceView).optional(),
    payments: z.array(PaymentView).optional(),
    refunds: z.array(RefundView).optional(),
  })
  .passthrough()
  .openapi("Subscription");

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

// A bridged mailbox's servers (issue 8; src/mailbox/backend.ts BridgeBackend).
const Tls = z.enum(["implicit", "starttls", "none"]).openapi({ description: '"none" only to loopback (tests, a local relay)' });
const Host = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9.\-_:[\]]+$/, "a host name or IP address");
const Port = z.number().int().min(1).max(65535);
const Endpoint = z.object({ host: Host, port: Port, tls: Tls });
export const BridgeBackendInput = z
  .object({
    kind: z.literal("imap"),
    imap: Endpoint,
    smtp: Endpoint.extend({
      auth: z
        .enum(["account", "none"])
        .optional()
        .openapi({ description: '"account" (default): submission with the account\'s own login; "none": the server relays for us' }),
    }),
    dav: z
      .object({ url: z.url().max(2048) })
      .optional()
      .openapi({ description: "CalDAV/CardDAV root or principal URL (https:, or http: to loopback)" }),
    push: z.enum(["notify", "poll"]).optional().openapi({
      description: '"notify": Dovecot push_notification calls /notify/ox; "poll" (default): the server is polled while a device waits',
    }),
  })
  .strict()
  .openapi("BridgeBackend");
