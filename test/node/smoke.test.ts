import { expect, inject, it } from "vitest";

it("the Worker under wrangler dev answers", async () => {
  const res = await fetch(inject("workerUrl") + "/");
  expect(res.status).toBe(200);
});
