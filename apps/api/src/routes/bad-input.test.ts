import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevice, createSession, createTestApp, type Device } from "../test-support/test-app.ts";

/** Whatever a client sends, the answer is a 4xx with a message or a success, never a 500. */
describe("bad input", () => {
  let app: FastifyInstance;
  let device: Device;
  let sessionId: string;

  beforeAll(async () => {
    app = await createTestApp({ env: { SWEEP_INTERVAL_MS: "3600000" } });
    device = await createDevice(app);
    sessionId = (await createSession(app, device)).id;
  });
  afterAll(async () => {
    await app.close();
  });

  const ids = () => [
    sessionId,
    "",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "x".repeat(2000),
    "01900000-0000-7000-8000-00000000000g",
    "' OR 1=1 --",
    "🎙️",
  ];
  const bodies: Array<[string, string | undefined]> = [
    ["application/json", "null"],
    ["application/json", "[]"],
    ["application/json", '"string"'],
    ["application/json", "{"],
    ["application/json", '{"__proto__": {"admin": true}, "kind": "recording"}'],
    ["application/json", '{"constructor": {"prototype": {"x": 1}}}'],
    ["application/json", JSON.stringify({ kind: "recording", title: "\u0000\uffff" })],
    ["application/json", ""],
    ["application/octet-stream", "\u0000\u0001\u0002"],
    ["text/plain", "hello"],
    ["multipart/form-data; boundary=x", "--x--"],
    [undefined as unknown as string, undefined],
  ];

  it("answers every malformed request with a 4xx and a message, and keeps serving", async () => {
    const routes = (id: string) => [
      ["POST", "/api/sessions"],
      ["GET", `/api/session/${id}`],
      ["POST", `/api/session/${id}/keepalive`],
      ["POST", `/api/session/${id}/resume`],
      ["POST", `/api/session/${id}/finish`],
      ["POST", "/api/session/check-timeouts"],
      ["PUT", `/api/session/${id}`],
      ["DELETE", "/api/sessions"],
      ["GET", "/api/preferences"],
      ["PUT", "/api/preferences"],
      ["GET", `/api/session/${id}/checkpoint`],
      ["PUT", `/api/session/${id}/checkpoint`],
    ] as const;
    for (const id of ids()) {
      for (const [method, url] of routes(id)) {
        for (const [contentType, payload] of bodies) {
          const headers: Record<string, string> = { ...device.headers };
          if (contentType) headers["content-type"] = contentType;
          const response = await app.inject({ method, url, headers, payload });
          const what = `${method} ${url.slice(0, 80)} ${contentType} ${payload}`;
          expect(response.statusCode, what).toBeLessThan(500);
          if (response.statusCode >= 400) {
            expect(response.json(), what).toEqual({ message: expect.any(String) });
          }
        }
      }
    }
    const health = await app.inject({ method: "GET", url: "/api/health" });
    expect(health.statusCode).toBe(200);
  });

  it("does not let a prototype-polluting body change anything", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/api/sessions",
      headers: { ...device.headers, "content-type": "application/json" },
      payload: '{"kind":"recording","__proto__":{"status":"completed"}}',
    });
    expect([201, 400]).toContain(response.statusCode);
    expect(({} as Record<string, unknown>).status).toBeUndefined();
    if (response.statusCode === 201) expect(response.json().status).toBe("active");
  });

  it("refuses an oversized Authorization header without crashing", async () => {
    const response = await app.inject({
      method: "GET",
      url: "/api/sessions",
      headers: { authorization: `Bearer ${"a".repeat(50_000)}` },
    });
    expect(response.statusCode).toBe(401);
  });
});
