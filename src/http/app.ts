import { Hono } from "hono";
import { makeDeps } from "../service/deps";
import { live } from "../service/health";
import { adminApp } from "../admin";
import { activeSync } from "./activesync-route";
import { notifyRoute } from "./notify-route";
import { notifyOxRoute } from "./notify-ox-route";
import { basicAuthenticator } from "./autodiscover-auth";
import { autodiscover } from "./autodiscover-route";
import { webApp } from "../web";

export const app = new Hono<{ Bindings: Env }>();

app.route("/admin/v1", adminApp);
app.use("*", activeSync());
app.use("*", autodiscover(basicAuthenticator));

app.get("/", (c) => c.text("Mobile Sync\n"));
// Liveness for load balancers and uptime probes: no credentials, no detail (issue 17 §7).
app.get("/healthz", async (c) => {
  const ok = await live(makeDeps(c.env));
  return c.text(ok ? "ok\n" : "unavailable\n", ok ? 200 : 503, { "Cache-Control": "no-store" });
});
// The web pages (src/web/): /admin/ (support console) and /my/ (mailbox owners); after /admin/v1 on purpose.
app.route("/", webApp);

app.route("/notify", notifyRoute);
app.route("/notify", notifyOxRoute);
