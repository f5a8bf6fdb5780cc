import type { Session } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "./api-client.ts";

interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Reply = Response | Error;

/** A stand-in for the network: answers scripted replies in order and records every request. */
function fakeFetch(...replies: Reply[]) {
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({
      method: init?.method ?? "GET",
      url: String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    const reply = replies.shift();
    if (!reply) throw new Error(`No reply scripted for ${init?.method ?? "GET"} ${String(input)}`);
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const session: Session = {
  id: "0190f5d2-8c4e-7a3b-9d2f-1c2b3a4d5e6f",
  kind: "synthesis",
  title: "Chapter one",
  status: "active",
  createdAt: "2025-01-01T12:00:00.000Z",
  updatedAt: "2025-01-01T12:00:00.000Z",
  lastHeartbeat: null,
  completedAt: null,
};

const device = { userId: "0190f5d2-8c4e-7a3b-9d2f-aaaaaaaaaaaa", token: "t".repeat(43) };

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("createApiClient", () => {
  it("registers a device after a 401 and retries the session list", async () => {
    const network = fakeFetch(
      json(401, { message: "Sign in first." }),
      json(200, device),
      json(200, { sessions: [session] }),
    );
    const api = createApiClient({ fetch: network.fetch });

    await api.ensureDevice();

    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /api/sessions",
      "POST /api/auth/device",
      "GET /api/sessions",
    ]);
  });

  it("asks nothing more when the device cookie is already accepted", async () => {
    const network = fakeFetch(json(200, { sessions: [] }));
    const api = createApiClient({ fetch: network.fetch });

    await api.ensureDevice();

    expect(network.requests).toHaveLength(1);
  });

  it("fails with the server's message when the new device is still refused", async () => {
    const network = fakeFetch(
      json(401, { message: "Sign in first." }),
      json(200, device),
      json(401, { message: "The device token is not valid." }),
    );
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.ensureDevice());

    expect(error.status).toBe(401);
    expect(error.message).toBe("The device token is not valid.");
  });

  it("turns a non-2xx answer into an ApiError with the status and the server's message", async () => {
    const network = fakeFetch(json(409, { message: "A completed session cannot be resumed." }));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.resumeSession(session.id));

    expect(error.status).toBe(409);
    expect(error.message).toBe("A completed session cannot be resumed.");
  });

  it("gives an error answer without a JSON message a readable message", async () => {
    const network = fakeFetch(new Response("<html>Bad Gateway</html>", { status: 502 }));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.listSessions());

    expect(error.status).toBe(502);
    expect(error.message).toBe("The server is unavailable right now (502). Try again in a moment.");
  });

  it("reports a network failure as an ApiError with status 0", async () => {
    const network = fakeFetch(new TypeError("Failed to fetch"));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.keepalive(session.id));

    expect(error.status).toBe(0);
    expect(error.message).toMatch(/could not be reached/);
  });

  it("rejects a successful answer whose shape breaks the contract", async () => {
    const network = fakeFetch(json(200, { sessions: [{ id: "not-a-session" }] }));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.listSessions());

    expect(error.message).toMatch(/expected shape/);
  });

  it("sends a JSON body to the base URL when creating a session and returns the parsed session", async () => {
    const network = fakeFetch(json(201, session));
    const api = createApiClient({ fetch: network.fetch, baseUrl: "https://studio.example" });

    const created = await api.createSession({ kind: "synthesis", title: "Chapter one" });

    expect(created).toEqual(session);
    const [request] = network.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("https://studio.example/api/sessions");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ kind: "synthesis", title: "Chapter one" });
  });

  it("posts lifecycle actions without a body to the session's own path", async () => {
    const network = fakeFetch(
      json(200, { ...session, status: "active" }),
      json(200, { ...session, status: "completed", completedAt: "2025-01-01T12:05:00.000Z" }),
      json(200, { status: "active", lastHeartbeat: "2025-01-01T12:00:07.000Z" }),
    );
    const api = createApiClient({ fetch: network.fetch });

    await api.resumeSession(session.id);
    const finished = await api.finishSession(session.id);
    const heartbeat = await api.keepalive(session.id);

    expect(finished.status).toBe("completed");
    expect(heartbeat.lastHeartbeat).toBe("2025-01-01T12:00:07.000Z");
    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST /api/session/${session.id}/resume`,
      `POST /api/session/${session.id}/finish`,
      `POST /api/session/${session.id}/keepalive`,
    ]);
    // A JSON content type with an empty body would itself be refused by the server.
    for (const request of network.requests) {
      expect(request.body).toBeUndefined();
      expect(request.headers["content-type"]).toBeUndefined();
    }
  });
});
