import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HealthResponseSchema } from "@tidemark/shared";
import { ManualClock } from "../test-support/manual-clock.ts";
import { createDevice, createSession, createTestApp, post } from "../test-support/test-app.ts";

describe("health and docs", () => {
  let app: FastifyInstance;
  const clock = new ManualClock();

  beforeEach(async () => {
    app = await createTestApp({ clock, env: { SWEEP_INTERVAL_MS: "3600000" } });
  });
  afterEach(async () => {
    await app.close();
  });

  it("reports status, version, database and session counts by status without authentication", async () => {
    const device = await createDevice(app);
    await createSession(app, device);
    const done = await createSession(app, device);
    await post(app, device, `/api/session/${done.id}/finish`);
    const response = await app.inject({ method: "GET", url: "/api/health" });
    expect(response.statusCode).toBe(200);
    const health = HealthResponseSchema.parse(response.json());
    expect(health).toMatchObject({
      status: "ok",
      version: "0.1.0",
      database: "ok",
      sessions: { active: 1, incomplete: 0, completed: 1 },
    });
  });

  it("answers 503 when the database cannot be reached", async () => {
    app.db.$client.close();
    const response = await app.inject({ method: "GET", url: "/api/health" });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: "degraded", database: "unreachable" });
  });

  it("publishes an OpenAPI document generated from the route schemas", async () => {
    const response = await app.inject({ method: "GET", url: "/api/docs/json" });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/auth/device",
        "/api/sessions",
        "/api/session/{id}",
        "/api/session/{id}/keepalive",
        "/api/session/check-timeouts",
        "/api/session/{id}/resume",
        "/api/session/{id}/finish",
        "/api/health",
        "/api/preferences",
        "/api/session/{id}/checkpoint",
        "/api/me",
      ]),
    );
    expect(document.paths["/api/preferences"].put.responses).toHaveProperty("409");
    expect(document.paths["/api/session/{id}/checkpoint"].put.responses).toHaveProperty("413");
    expect(document.paths["/api/me"].delete.responses).toHaveProperty("204");
    const create = document.paths["/api/sessions"].post;
    expect(create.requestBody.content["application/json"].schema.properties.kind.enum).toEqual(["recording", "synthesis"]);
  });
});
