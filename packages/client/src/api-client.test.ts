import {
  DEFAULT_PREFERENCES,
  type ChunkAck,
  type FinishResponse,
  type RecoveryToken,
  type Session,
  type SessionDetail,
  type TrackSummary,
} from "@tidemark/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { API_TIMEOUTS, ApiError, createApiClient, createBackupApi, serverUnreachable } from "./api-client.ts";
import { checkpointState } from "./persistence/test-support/backup-fixtures.ts";
import { outcome } from "./test-support/harness.ts";

interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  bytes: ArrayBuffer | undefined;
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
      bytes: init?.body instanceof ArrayBuffer ? init.body : undefined,
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

const trackSummary: TrackSummary = {
  track: 0,
  label: "Microphone",
  sampleRate: 48_000,
  channels: 1,
  chunkCount: 0,
  committedThrough: -1,
  highestSeq: -1,
  bytes: 0,
  durationSeconds: 0,
};

const detail: SessionDetail = { ...session, kind: "recording", tracks: [trackSummary], files: [], tokens: [], keptUntil: "2025-01-02T12:00:00.000Z" };

const finishedDetail: FinishResponse = {
  ...detail,
  status: "completed",
  completedAt: "2025-01-01T12:05:00.000Z",
  recoveryTokens: [],
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
  it("registers a device when the server knows none for this browser, then checks its cookie works", async () => {
    const network = fakeFetch(
      json(200, { userId: null }),
      json(201, device),
      json(200, { sessions: [session] }),
    );
    const api = createApiClient({ fetch: network.fetch });

    await api.ensureDevice();

    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /api/auth/device",
      "POST /api/auth/device",
      "GET /api/sessions",
    ]);
  });

  it("restores a lost cookie from the identity kept on the device instead of registering anew", async () => {
    const network = fakeFetch(
      json(200, { userId: null }),
      json(200, { userId: device.userId }),
      json(200, { sessions: [session] }),
    );
    const saved: unknown[] = [];
    const identity = { load: async () => device, save: async (value: unknown) => void saved.push(value) };
    const api = createApiClient({ fetch: network.fetch, identity });

    await api.ensureDevice();

    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /api/auth/device",
      "POST /api/auth/cookie",
      "GET /api/sessions",
    ]);
    expect(network.requests[1]?.headers.authorization).toBe(`Bearer ${device.token}`);
    expect(saved).toEqual([]);
  });

  it("registers a new device when the kept identity is unknown to the server, and keeps the new one", async () => {
    const fresh = { ...device, token: "n".repeat(43) };
    const network = fakeFetch(
      json(200, { userId: null }),
      json(401, { message: "Unknown token." }),
      json(201, fresh),
      json(200, { sessions: [] }),
    );
    const saved: unknown[] = [];
    const identity = { load: async () => device, save: async (value: unknown) => void saved.push(value) };
    const api = createApiClient({ fetch: network.fetch, identity });

    await api.ensureDevice();

    expect(network.requests.map((request) => request.url)).toEqual([
      "/api/auth/device",
      "/api/auth/cookie",
      "/api/auth/device",
      "/api/sessions",
    ]);
    expect(saved).toEqual([fresh]);
  });

  it("asks nothing more when the server knows this browser's device", async () => {
    const network = fakeFetch(json(200, { userId: device.userId }));
    const loads: string[] = [];
    const identity = { load: async () => (loads.push("load"), device), save: async () => undefined };
    const api = createApiClient({ fetch: network.fetch, identity });

    await api.ensureDevice();

    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["GET /api/auth/device"]);
    expect(loads).toEqual([]);
  });

  it("fails with the server's message when the new device is still refused", async () => {
    const network = fakeFetch(
      json(200, { userId: null }),
      json(201, device),
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
      json(200, finishedDetail),
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

  it("declares a track with a JSON PUT to the track's path and returns the server's summary", async () => {
    const network = fakeFetch(json(200, trackSummary));
    const api = createApiClient({ fetch: network.fetch });

    const summary = await api.declareTrack(session.id, 0, { label: "Microphone", sampleRate: 48_000, channels: 1 });

    expect(summary).toEqual(trackSummary);
    const [request] = network.requests;
    expect(`${request?.method} ${request?.url}`).toBe(`PUT /api/session/${session.id}/tracks/0`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ label: "Microphone", sampleRate: 48_000, channels: 1 });
  });

  it("puts a chunk as raw bytes with its Content-Digest and returns the acknowledgement", async () => {
    const ack: ChunkAck = { track: 1, seq: 7, size: 4, created: true, committedThrough: 7, chunkCount: 8 };
    const network = fakeFetch(json(201, ack));
    const api = createApiClient({ fetch: network.fetch });
    const pcm = Int16Array.from([1, -1]).buffer;

    const answer = await api.putChunk(session.id, 1, 7, pcm, "c2hhLTI1Ni1vZi10aGUtYm9keQ==");

    expect(answer).toEqual(ack);
    const [request] = network.requests;
    expect(`${request?.method} ${request?.url}`).toBe(`PUT /api/session/${session.id}/tracks/1/chunks/7`);
    expect(request?.headers["content-type"]).toBe("application/octet-stream");
    expect(request?.headers["content-digest"]).toBe("sha-256=:c2hhLTI1Ni1vZi10aGUtYm9keQ==:");
    expect(new Int16Array(request?.bytes ?? new ArrayBuffer(0))).toEqual(Int16Array.from([1, -1]));
  });

  it("reads a session's detail with its tracks", async () => {
    const network = fakeFetch(json(200, detail));
    const api = createApiClient({ fetch: network.fetch });

    const answer = await api.getSession(session.id);

    expect(answer.tracks).toEqual([trackSummary]);
    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET /api/session/${session.id}`,
    ]);
  });

  it("sends finish's body as JSON and returns the finished session with its recovery tokens", async () => {
    const network = fakeFetch(json(200, finishedDetail));
    const api = createApiClient({ fetch: network.fetch });

    const answer = await api.finishSession(session.id, { lastSeq: { "0": 41, "1": -1 } });

    expect(answer.status).toBe("completed");
    expect(answer.recoveryTokens).toEqual([]);
    expect(JSON.parse(network.requests[0]?.body ?? "")).toEqual({ lastSeq: { "0": 41, "1": -1 } });
  });

  it("carries the missing seqs of a 409 from finish in the ApiError, even when only one track is named", async () => {
    const network = fakeFetch(
      json(409, { message: "Chunks are missing.", missing: { "0": [3, 4], "1": [] } }),
      json(409, { message: "Chunks are missing.", missing: { "1": [0] } }),
    );
    const api = createApiClient({ fetch: network.fetch });

    const bothTracks = await rejection(api.finishSession(session.id, { lastSeq: { "0": 9, "1": -1 } }));
    const oneTrack = await rejection(api.finishSession(session.id));

    expect(bothTracks.status).toBe(409);
    expect(bothTracks.message).toBe("Chunks are missing.");
    expect(bothTracks.missing).toEqual({ "0": [3, 4], "1": [] });
    expect(oneTrack.missing).toEqual({ "0": [], "1": [0] });
  });

  it("leaves missing unset on a 409 that names no seqs", async () => {
    const network = fakeFetch(json(409, { message: "This session is already completed." }));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.finishSession(session.id));

    expect(error.status).toBe(409);
    expect(error.missing).toBeUndefined();
  });

  it("asks for a recovery token for one track of a session", async () => {
    const token: RecoveryToken = {
      track: 0,
      token: "r".repeat(43),
      url: `/api/recovery/audio/${"r".repeat(43)}`,
      expiresAt: "2025-01-02T12:00:00.000Z",
    };
    const network = fakeFetch(json(201, token));
    const api = createApiClient({ fetch: network.fetch });

    const answer = await api.createRecoveryToken(session.id, 0);

    expect(answer).toEqual(token);
    const [request] = network.requests;
    expect(`${request?.method} ${request?.url}`).toBe("POST /api/recovery/token");
    expect(JSON.parse(request?.body ?? "")).toEqual({ sessionId: session.id, track: 0 });
  });
});

const checkpoint = checkpointState();

describe("createApiClient: server backup", () => {
  it("reads and writes preferences with the version they build on", async () => {
    const network = fakeFetch(json(200, { version: 0, preferences: DEFAULT_PREFERENCES }), json(200, { version: 1, preferences: DEFAULT_PREFERENCES }));
    const api = createApiClient({ fetch: network.fetch });

    const current = await api.getPreferences();
    const written = await api.putPreferences({ baseVersion: current.version, preferences: DEFAULT_PREFERENCES });

    expect(written.version).toBe(1);
    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["GET /api/preferences", "PUT /api/preferences"]);
    expect(JSON.parse(network.requests[1]?.body ?? "")).toEqual({ baseVersion: 0, preferences: DEFAULT_PREFERENCES });
  });

  it("carries the server's current value of a refused stale write in ApiError.conflict", async () => {
    const current = { ...DEFAULT_PREFERENCES, voice: "awb" };
    const network = fakeFetch(json(409, { message: "The preferences changed meanwhile.", version: 7, preferences: current }));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.putPreferences({ baseVersion: 5, preferences: DEFAULT_PREFERENCES }));

    expect(error.status).toBe(409);
    expect(error.message).toBe("The preferences changed meanwhile.");
    expect(error.conflict).toEqual({ message: "The preferences changed meanwhile.", version: 7, preferences: current });
  });

  it("leaves conflict unset when a 409 does not carry a value of the expected shape", async () => {
    const network = fakeFetch(json(409, { message: "Conflict.", version: 2 }));
    const api = createApiClient({ fetch: network.fetch });

    const error = await rejection(api.putCheckpoint(session.id, { baseVersion: 1, state: checkpoint }));

    expect(error.status).toBe(409);
    expect(error.conflict).toBeUndefined();
  });

  it("reads and writes a session's checkpoint under the session's path, and parses a checkpoint conflict", async () => {
    const network = fakeFetch(
      json(200, { version: 0, state: null }),
      json(409, { message: "Stale.", version: 3, state: checkpoint }),
    );
    const api = createBackupApi({ fetch: network.fetch });

    expect(await api.getCheckpoint(session.id)).toEqual({ version: 0, state: null });
    const error = await rejection(api.putCheckpoint(session.id, { baseVersion: 0, state: checkpoint }));

    expect(error.conflict).toEqual({ message: "Stale.", version: 3, state: checkpoint });
    expect(network.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET /api/session/${session.id}/checkpoint`,
      `PUT /api/session/${session.id}/checkpoint`,
    ]);
  });

  it("deletes all of the user's data with DELETE /api/me and accepts the empty answer", async () => {
    const network = fakeFetch(new Response(null, { status: 204 }));
    const api = createBackupApi({ fetch: network.fetch });

    await expect(api.deleteMyData()).resolves.toBeUndefined();
    expect(`${network.requests[0]?.method} ${network.requests[0]?.url}`).toBe("DELETE /api/me");
  });
});

/** A network whose requests never answer, as over a dropped Wi-Fi or from a laptop that slept; it ignores abort signals. */
function hangingFetch() {
  const signals: AbortSignal[] = [];
  const fetch = (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (init?.signal) signals.push(init.signal);
    return new Promise<Response>(() => undefined);
  };
  return { fetch: fetch as typeof globalThis.fetch, signals };
}

describe("serverUnreachable", () => {
  it("tells a server that did not answer (or a gateway saying it is down) from one that refused the request", async () => {
    const api = createApiClient({
      fetch: fakeFetch(
        new TypeError("Failed to fetch"),
        new Response("Bad Gateway", { status: 502 }),
        json(503, { message: "Shutting down" }),
        json(404, { message: "Session not found" }),
        json(409, { message: "Session is completed and cannot be resumed" }),
        json(500, { message: "Internal error" }),
      ).fetch,
    });
    const results: boolean[] = [];
    for (let attempt = 0; attempt < 6; attempt++) results.push(serverUnreachable(await rejection(api.resumeSession(session.id))));

    expect(results).toEqual([true, true, true, false, false, false]);
    expect(serverUnreachable(new TypeError("Failed to fetch"))).toBe(false);
  });
});

describe("createApiClient time limits", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives up on a JSON request that gets no answer after the request timeout, as a status-0 error, and aborts it", async () => {
    vi.useFakeTimers();
    const network = hangingFetch();
    const api = createApiClient({ fetch: network.fetch });

    const keepalive = outcome(api.keepalive(session.id));
    await vi.advanceTimersByTimeAsync(API_TIMEOUTS.requestMs - 1);
    expect(keepalive.settled()).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);

    const error = keepalive.settled();
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, message: expect.stringMatching(/did not answer in time/) });
    expect(network.signals[0]?.aborted).toBe(true);
  });

  it("gives a chunk upload and a finish longer than a JSON request", async () => {
    vi.useFakeTimers();
    const api = createApiClient({ fetch: hangingFetch().fetch });

    const upload = outcome(api.putChunk(session.id, 0, 0, new ArrayBuffer(8), "A".repeat(43) + "="));
    const finish = outcome(api.finishSession(session.id));
    await vi.advanceTimersByTimeAsync(API_TIMEOUTS.requestMs);
    expect([upload.settled(), finish.settled()]).toEqual(["pending", "pending"]);
    await vi.advanceTimersByTimeAsync(API_TIMEOUTS.chunkMs - API_TIMEOUTS.requestMs);
    expect(upload.settled()).toMatchObject({ status: 0 });
    expect(finish.settled()).toBe("pending");
    await vi.advanceTimersByTimeAsync(API_TIMEOUTS.finishMs - API_TIMEOUTS.chunkMs);
    expect(finish.settled()).toMatchObject({ status: 0 });
  });

  it("takes its time limits from the client options", async () => {
    vi.useFakeTimers();
    const api = createApiClient({ fetch: hangingFetch().fetch, timeouts: { requestMs: 1_000 } });

    const sessions = outcome(api.listSessions());
    await vi.advanceTimersByTimeAsync(1_000);

    expect(sessions.settled()).toMatchObject({ status: 0 });
  });

  it("also gives up when the headers came but the body never finishes", async () => {
    vi.useFakeTimers();
    const stalledBody = new Response(new ReadableStream({ start: () => undefined }), { status: 200 });
    const api = createApiClient({ fetch: fakeFetch(stalledBody).fetch });

    const detailRead = outcome(api.getSession(session.id));
    await vi.advanceTimersByTimeAsync(API_TIMEOUTS.requestMs);

    expect(detailRead.settled()).toMatchObject({ status: 0, message: expect.stringMatching(/did not answer in time/) });
  });

  it("cancels a request when the caller's signal aborts, with the caller's reason", async () => {
    const caller = new AbortController();
    const network = hangingFetch();
    const api = createApiClient({ fetch: network.fetch, signal: caller.signal });

    const resumed = api.resumeSession(session.id);
    const reason = new Error("The page is closing.");
    caller.abort(reason);

    await expect(resumed).rejects.toBe(reason);
    expect(network.signals[0]?.aborted).toBe(true);
  });

  it("leaves no timer behind once a request is answered", async () => {
    vi.useFakeTimers();
    const api = createApiClient({ fetch: fakeFetch(json(200, { sessions: [] })).fetch });

    await api.listSessions();

    expect(vi.getTimerCount()).toBe(0);
  });
});
