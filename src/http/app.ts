import { Hono } from "hono";
import { activeSync } from "./activesync-route";
import { notifyRoute } from "./notify-route";

export const app = new Hono<{ Bindings: Env }>();

app.use("*", activeSync());

app.get("/", (c) => c.text("Mobile Sync\n"));

app.route("/notify", notifyRoute);
