import { Hono } from "hono";
import { activeSync } from "./activesync-route";
import { basicAuthenticator } from "./autodiscover-auth";
import { autodiscover } from "./autodiscover-route";

export const app = new Hono<{ Bindings: Env }>();

app.use("*", activeSync());
app.use("*", autodiscover(basicAuthenticator));

app.get("/", (c) => c.text("Mobile Sync\n"));
