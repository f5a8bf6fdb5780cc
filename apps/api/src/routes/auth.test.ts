import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AUTH_COOKIE_NAME } from "@tidemark/shared";
import { authTokens } from "../db/schema.ts";
import { hashToken } from "../services/identity.ts";
import { createDevice, createTestApp } from "../test-support/test-app.ts";

describe("device identity", () => {
  let app: FastifyInstance;

  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it("creates an anonymous user with a long random token and sets it as an HttpOnly Lax cookie", async () => {
    const response = await app.inject({ method: "POST", url: "/api/auth/device" });
    expect(response.statusCode).toBe(201);
    const { userId, token } = response.json<{ userId: string; token: string }>();
    expect(userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    const cookie = response.cookies.find((c) => c.name === AUTH_COOKIE_NAME);
    expect(cookie).toMatchObject({ value: token, httpOnly: true, sameSite: "Lax", path: "/" });
  });

  it("stores only a hash of the token", async () => {
    const { token } = await createDevice(app);
    const stored = app.db.select().from(authTokens).all();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("gives every device its own user and token", async () => {
    const a = await createDevice(app);
    const b = await createDevice(app);
    expect(a.userId).not.toBe(b.userId);
    expect(a.token).not.toBe(b.token);
  });

  it("accepts the token as a cookie or as a bearer header", async () => {
    const { token } = await createDevice(app);
    const byCookie = await app.inject({ method: "GET", url: "/api/sessions", cookies: { [AUTH_COOKIE_NAME]: token } });
    expect(byCookie.statusCode).toBe(200);
    const byHeader = await app.inject({ method: "GET", url: "/api/sessions", headers: { authorization: `Bearer ${token}` } });
    expect(byHeader.statusCode).toBe(200);
  });

  it("sets the cookie again for a client that presents its kept token as a bearer", async () => {
    const { userId, token } = await createDevice(app);
    const response = await app.inject({ method: "POST", url: "/api/auth/cookie", headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ userId });
    expect(response.cookies.find((c) => c.name === AUTH_COOKIE_NAME)).toMatchObject({ value: token, httpOnly: true });
    const unknown = await app.inject({ method: "POST", url: "/api/auth/cookie", headers: { authorization: "Bearer nope" } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.cookies).toHaveLength(0);
  });

  it("answers 401 with a message when the token is missing or unknown", async () => {
    const missing = await app.inject({ method: "GET", url: "/api/sessions" });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ message: expect.stringContaining("/api/auth/device") });
    const unknown = await app.inject({ method: "GET", url: "/api/sessions", headers: { authorization: "Bearer nope" } });
    expect(unknown.statusCode).toBe(401);
  });

  it("answers 404 with a message for an unknown API route", async () => {
    const response = await app.inject({ method: "GET", url: "/api/nothing-here" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ message: expect.any(String) });
  });
});
