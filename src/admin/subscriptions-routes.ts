import { createRoute, z } from "@hono/zod-openapi";
import { runEligibilityCheck } from "../service/eligibility";
import { liabilityCap } from "../service/liability";
import { recordNoticeAnswer, recordThirdPartyNotice } from "../service/notices";
import { subscriptionStatuses, suspensionReasons } from "../service/subscription-states";
import {
  cancelSubscription,
  createSubscription,
  getSubscriptionRow,
  recordPayment,
  resumeSubscription,
  suspendSubscription,
  terminateSubscription,
  withdrawSubscription,
} from "../service/subscriptions";
import { listSubscriptions, noticesView, subscriptionView } from "../service/views";
import { newAdminRouter } from "./context";
import { Address, Email, json, minorUnits, problemResponses, SubscriptionId, SubscriptionView } from "./schemas";

const tags = ["subscriptions"];
const Any = z.record(z.string(), z.unknown());
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
const optionalBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: false } });
const IsoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const CreateSubscription = z.object({
  mailbox: Address,
  customer: z.object({ kind: z.enum(["consumer", "business"]), name: z.string().trim().min(1), email: Email }),
  price: z
    .object({ amount: minorUnits(z.number().int().nonnegative()), currency: z.string().length(3) })
    .optional()
    .openapi({ description: "Price of one term (amount in minor units: cents for EUR); default PRICE_CENTS/CURRENCY" }),
  start_before_withdrawal_end: z
    .boolean()
    .optional()
    .openapi({ description: "Consumer expressly asked the service to start before the 14-day withdrawal period ends" }),
  ordered_at: IsoDate.optional().openapi({
    type: "string",
    format: "date-time",
    description: "When the order form was validated (default: now)",
  }),
});

const Payment = z.object({
  amount: minorUnits(z.number().int().positive()),
  currency: z.string().length(3),
  reference: z.string().trim().min(1),
  received_at: IsoDate.optional().openapi({ type: "string", format: "date-time" }),
});

const Suspend = z.object({ reason: z.enum(suspensionReasons), evidence: z.unknown() });
const Resume = z.object({
  suspension_id: z.string().optional(),
  reason: z.enum(suspensionReasons).optional(),
  why: z.string().trim().min(1).default("lifted by staff"),
});
const Terminate = z.object({ reason: z.string().trim().min(1) });
const Notice = z.object({
  from: z.object({ name: z.string().trim().min(1), email: Email }),
  description: z.string().trim().min(1),
  evidence: z.string().default(""),
  received_at: IsoDate.optional().openapi({ type: "string", format: "date-time" }),
});
const Answer = z.object({
  answer: z.string().trim().min(1),
  compliance_documentation: z.string().optional(),
  received_at: IsoDate.optional().openapi({ type: "string", format: "date-time" }),
});

export const subscriptionRoutes = newAdminRouter();
const r = subscriptionRoutes;
const changed = { 200: json(SubscriptionView, "The subscription after the change"), ...problemResponses };

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions",
    tags,
    summary: "Create an order (§3) and its invoice (§6): status pending_payment",
    request: body(CreateSubscription),
    responses: { 201: json(SubscriptionView, "Created"), ...problemResponses },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const d = c.get("deps");
    const s = await createSubscription(d, {
      mailbox: b.mailbox,
      customer: b.customer,
      priceCents: b.price?.amount,
      currency: b.price?.currency,
      startBeforeWithdrawalEnd: b.start_before_withdrawal_end,
      orderedAt: b.ordered_at,
    });
    return c.json(await subscriptionView(d, s.id), 201);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/subscriptions",
    tags,
    summary: "List subscriptions",
    request: {
      query: z.object({
        status: z.enum(subscriptionStatuses).optional(),
        mailbox: Address.optional(),
        after: z.string().optional().openapi({ description: "id cursor (next_after)" }),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: {
      200: json(z.object({ subscriptions: z.array(Any), next_after: z.string().nullable() }), "Subscriptions, by id"),
      ...problemResponses,
    },
  }),
  async (c) => c.json(await listSubscriptions(c.get("deps"), c.req.valid("query")), 200),
);

r.openapi(
  createRoute({
    method: "get",
    path: "/subscriptions/{id}",
    tags,
    summary: "Status, term, eligibility per condition, suspensions, invoices, payments, refunds",
    request: { params: SubscriptionId },
    responses: { 200: json(SubscriptionView, "The subscription"), ...problemResponses },
  }),
  async (c) => c.json(await subscriptionView(c.get("deps"), c.req.valid("param").id), 200),
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/payments",
    tags,
    summary: "Record a confirmed payment of the open invoice (pending_payment or grace → active)",
    request: { params: SubscriptionId, ...body(Payment) },
    responses: changed,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const d = c.get("deps");
    await recordPayment(d, id, { amountCents: b.amount, currency: b.currency, reference: b.reference, receivedAt: b.received_at });
    return c.json(await subscriptionView(d, id), 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/eligibility-check",
    tags,
    summary: "Check the four conditions of §3 now (suspends or lifts as the sweep would)",
    request: { params: SubscriptionId },
    responses: { 200: json(Any, "The check"), ...problemResponses },
  }),
  async (c) => {
    const d = c.get("deps");
    const s = await getSubscriptionRow(d, c.req.valid("param").id);
    const { domainResults: _, ...report } = await runEligibilityCheck(d, s, { trigger: "admin" });
    return c.json(
      {
        ...report,
        conditions: Object.fromEntries(
          report.conditions.map((x) => [x.condition, { status: x.outcome, evidence: x.evidence, checked_at: report.checkedAt }]),
        ),
      },
      200,
    );
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/suspend",
    tags,
    summary: "Suspend (mailbox data stays intact; devices are refused)",
    request: { params: SubscriptionId, ...body(Suspend) },
    responses: changed,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const d = c.get("deps");
    await suspendSubscription(d, id, { reason: b.reason, evidence: b.evidence ?? null });
    return c.json(await subscriptionView(d, id), 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/resume",
    tags,
    summary: "Lift suspensions (all open ones, or the given one / reason)",
    request: { params: SubscriptionId, ...optionalBody(Resume) },
    responses: changed,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const b = Resume.parse((await c.req.json().catch(() => ({}))) ?? {});
    const d = c.get("deps");
    await resumeSubscription(d, id, { suspensionId: b.suspension_id, reason: b.reason, why: b.why });
    return c.json(await subscriptionView(d, id), 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/withdraw",
    tags,
    summary: "Consumer withdrawal within 14 days of the order; refund computed and recorded",
    request: { params: SubscriptionId },
    responses: changed,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const d = c.get("deps");
    await withdrawSubscription(d, id);
    return c.json(await subscriptionView(d, id), 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/cancel",
    tags,
    summary: "Cancel: no further renewal (current term runs to its end)",
    request: { params: SubscriptionId },
    responses: changed,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const d = c.get("deps");
    await cancelSubscription(d, id);
    return c.json(await subscriptionView(d, id), 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/terminate",
    tags,
    summary: "Terminate the contract now",
    request: { params: SubscriptionId, ...body(Terminate) },
    responses: changed,
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const d = c.get("deps");
    await terminateSubscription(d, id, c.req.valid("json").reason);
    return c.json(await subscriptionView(d, id), 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/subscriptions/{id}/notices",
    tags,
    summary: "Record a third party's notice of illicit use (§4) → suspension illicit_use",
    request: { params: SubscriptionId, ...body(Notice) },
    responses: { 201: json(Any, "Notice recorded"), ...problemResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const d = c.get("deps");
    const { notice } = await recordThirdPartyNotice(d, id, {
      from: b.from,
      description: b.description,
      evidence: b.evidence,
      receivedAt: b.received_at,
    });
    return c.json({ notice_id: notice.id, subscription: await subscriptionView(d, id) }, 201);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/subscriptions/{id}/notices",
    tags,
    summary: "Third-party notices and the customer's answers",
    request: { params: SubscriptionId },
    responses: { 200: json(z.object({ notices: z.array(Any) }), "Notices"), ...problemResponses },
  }),
  async (c) => {
    const d = c.get("deps");
    const { id } = c.req.valid("param");
    await getSubscriptionRow(d, id);
    return c.json({ notices: await noticesView(d, id) }, 200);
  },
);

r.openapi(
  createRoute({
    method: "post",
    path: "/notices/{id}/answers",
    tags,
    summary: "Record the customer's answer and compliance documentation (§4)",
    request: {
      params: z.object({
        id: z
          .string()
          .min(1)
          .openapi({ param: { name: "id", in: "path" }, example: "ntc_0123" }),
      }),
      ...body(Answer),
    },
    responses: { 201: json(Any, "Answer recorded"), ...problemResponses },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const row = await recordNoticeAnswer(c.get("deps"), c.req.valid("param").id, {
      answer: b.answer,
      complianceDocumentation: b.compliance_documentation,
      receivedAt: b.received_at,
    });
    return c.json({ id: row.id, notice_id: row.noticeId, received_at: row.receivedAt.toISOString() }, 201);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/subscriptions/{id}/liability-cap",
    tags,
    summary: "§4: what the customer paid in the six months before a date (the compensation cap)",
    request: {
      params: SubscriptionId,
      query: z.object({
        at: IsoDate.optional().openapi({
          type: "string",
          format: "date-time",
          description: "when the damage was established (default now)",
        }),
      }),
    },
    responses: { 200: json(Any, "The cap"), ...problemResponses },
  }),
  async (c) => {
    const d = c.get("deps");
    return c.json({ ...(await liabilityCap(d, c.req.valid("param").id, c.req.valid("query").at ?? d.now())) }, 200);
  },
);
