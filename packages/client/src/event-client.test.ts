import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { TidemarkEvent } from "@tidemark/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { fullJitterDelay } from "./backoff.ts";
import { EventClient, type EventClientOptions, type EventClientStatus } from "./event-client.ts";

interface TestServer {
  url: string;
  /** Request URLs of every accepted connection, in order. */
  requests: string[];
  sockets: WebSocket[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(
  options: { accept?: (attempt: number) => boolean; onConnection?: (socket: WebSocket, index: number) => void } = {},
): Promise<TestServer> {
  let handshakes = 0;
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    verifyClient: (_info, done) => done(options.accept?.(handshakes++) ?? true, 503),
  });
  await once(wss, "listening");
  const requests: string[] = [];
  const sockets: WebSocket[] = [];
  wss.on("connection", (socket, request) => {
    requests.push(request.url ?? "");
    sockets.push(socket);
    options.onConnection?.(socket, sockets.length - 1);
  });
  const { port } = wss.address() as AddressInfo;
  const server: TestServer = {
    url: `ws://127.0.0.1:${port}/api/ws`,
    requests,
    sockets,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  cleanups.push(() => server.close());
  return server;
}

/** A URL nothing listens on: a server is started for a free port and closed again. */
async function unusedUrl(): Promise<string> {
  const server = await startServer();
  await server.close();
  return server.url;
}

/** Real timers that also remember every requested delay, in order. */
function recordingTimers() {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (callback: () => void, ms: number) => {
      delays.push(ms);
      return setTimeout(callback, ms);
    },
    clearTimeout: (handle: ReturnType<typeof setTimeout>) => clearTimeout(handle),
  };
}

function createClient(options: EventClientOptions): EventClient {
  const client = new EventClient({
    WebSocket,
    random: () => 0,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

function sessionCreated(id: number): TidemarkEvent {
  const at = new Date(Date.UTC(2025, 0, 1, 12, 0, id)).toISOString();
  return {
    id,
    at,
    type: "session.created",
    session: {
      id: crypto.randomUUID(),
      kind: "recording",
      title: `Session ${id}`,
      status: "active",
      createdAt: at,
      updatedAt: at,
      lastHeartbeat: null,
      completedAt: null,
    },
  };
}

function send(socket: WebSocket, ...messages: unknown[]): void {
  for (const message of messages) socket.send(JSON.stringify(message));
}

function collectEventIds(client: EventClient): number[] {
  const ids: number[] = [];
  client.onEvent((event) => ids.push(event.id));
  return ids;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("EventClient", () => {
  it("omits after on the first connection and reconnects with after set to the last event seen", async () => {
    const server = await startServer({
      onConnection: (socket, index) => {
        if (index === 0) {
          send(socket, sessionCreated(1), sessionCreated(2));
          setTimeout(() => socket.terminate(), 20);
        }
      },
    });
    const client = createClient({ url: server.url });
    const ids = collectEventIds(client);
    client.connect();

    await vi.waitFor(() => expect(server.requests).toHaveLength(2));
    expect(server.requests[0]).toBe("/api/ws");
    expect(server.requests[1]).toBe("/api/ws?after=2");
    expect(ids).toEqual([1, 2]);
    expect(client.lastSeenId).toBe(2);
  });

  it("sends an initial event id as after on the very first connection", async () => {
    const server = await startServer();
    const client = createClient({ url: server.url, lastEventId: 41 });
    client.connect();

    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    expect(server.requests[0]).toBe("/api/ws?after=41");
  });

  it("delivers each event id once even when live events and a replay overlap", async () => {
    const server = await startServer({
      onConnection: (socket, index) => {
        if (index === 0) {
          send(socket, sessionCreated(1), sessionCreated(2), sessionCreated(2), sessionCreated(1), sessionCreated(3));
          setTimeout(() => socket.terminate(), 20);
        } else {
          // A replay that starts earlier than asked, then a live event.
          send(socket, sessionCreated(2), sessionCreated(3), sessionCreated(4));
        }
      },
    });
    const client = createClient({ url: server.url });
    const ids = collectEventIds(client);
    client.connect();

    await vi.waitFor(() => expect(ids).toEqual([1, 2, 3, 4]));
    await sleep(30);
    expect(ids).toEqual([1, 2, 3, 4]);
  });

  it("reconnects after the server drops the connection and reports each status change", async () => {
    const server = await startServer({
      onConnection: (socket, index) => {
        if (index === 0) setTimeout(() => socket.terminate(), 20);
      },
    });
    const client = createClient({ url: server.url });
    const statuses: EventClientStatus[] = [];
    client.onStatus((status) => statuses.push(status));
    client.connect();

    await vi.waitFor(() => expect(statuses).toEqual(["connecting", "open", "closed", "connecting", "open"]));
    expect(server.sockets).toHaveLength(2);
    expect(client.status).toBe("open");
  });

  it("waits a fully jittered, exponentially growing and capped delay between failed attempts", async () => {
    const url = await unusedUrl();
    const timers = recordingTimers();
    const client = createClient({
      url,
      baseDelayMs: 10,
      maxDelayMs: 40,
      random: () => 0.5,
      setTimeout: timers.setTimeout,
      clearTimeout: timers.clearTimeout,
    });
    client.onError(() => {});
    client.connect();

    await vi.waitFor(() => expect(timers.delays.length).toBeGreaterThanOrEqual(5));
    client.close();
    // Ceilings 10, 20, 40, 40, 40 (capped), each scaled by random() = 0.5.
    expect(timers.delays.slice(0, 5)).toEqual([5, 10, 20, 20, 20]);
  });

  it("starts the backoff over once a connection has stayed open long enough", async () => {
    const server = await startServer({
      // Refuse the first two handshakes, then accept.
      accept: (attempt) => attempt >= 2,
      onConnection: (socket, index) => {
        if (index === 0) setTimeout(() => socket.terminate(), 100);
      },
    });
    const timers = recordingTimers();
    const client = createClient({
      url: server.url,
      baseDelayMs: 40,
      maxDelayMs: 1_000,
      stableAfterMs: 30,
      random: () => 0.5,
      setTimeout: timers.setTimeout,
      clearTimeout: timers.clearTimeout,
    });
    client.onError(() => {});
    client.connect();

    await vi.waitFor(() => expect(server.sockets).toHaveLength(2));
    // Two refusals (20, 40), the stability timer (30), then a retry back at the first step (20).
    expect(timers.delays.slice(0, 4)).toEqual([20, 40, 30, 20]);
  });

  it("computes full-jitter delays as a random fraction of the capped exponential ceiling", () => {
    const backoff = { baseMs: 500, maxMs: 30_000 };
    expect(fullJitterDelay(0, backoff, () => 0)).toBe(0);
    expect(fullJitterDelay(0, backoff, () => 0.999)).toBe(499);
    expect(fullJitterDelay(3, backoff, () => 0.5)).toBe(2_000);
    expect(fullJitterDelay(20, backoff, () => 0.5)).toBe(15_000);
  });

  it("reports a resync from the server and continues after the id it names", async () => {
    const server = await startServer({
      onConnection: (socket, index) => {
        if (index === 0) {
          send(socket, { type: "resync", lastEventId: 50 }, sessionCreated(40), sessionCreated(51));
          setTimeout(() => socket.terminate(), 20);
        }
      },
    });
    const client = createClient({ url: server.url, lastEventId: 7 });
    const resyncs: Array<number | null> = [];
    client.onResync((lastEventId) => resyncs.push(lastEventId));
    const ids = collectEventIds(client);
    client.connect();

    await vi.waitFor(() => expect(server.requests).toHaveLength(2));
    expect(resyncs).toEqual([50]);
    expect(ids).toEqual([51]);
    expect(server.requests[1]).toBe("/api/ws?after=51");
  });

  it("asks listeners to resync when a connection opens before any event was seen", async () => {
    const server = await startServer({
      onConnection: (socket, index) => {
        if (index === 0) setTimeout(() => socket.terminate(), 20);
      },
    });
    const client = createClient({ url: server.url });
    const resyncs: Array<number | null> = [];
    client.onResync((lastEventId) => resyncs.push(lastEventId));
    client.connect();

    // Neither connection had a position to replay from, so both could have missed events.
    await vi.waitFor(() => expect(resyncs).toEqual([null, null]));
    expect(server.requests).toEqual(["/api/ws", "/api/ws"]);
  });

  it("reports malformed messages as errors and keeps delivering valid events", async () => {
    const server = await startServer({
      onConnection: (socket) => {
        socket.send("not json");
        send(socket, { type: "session.renamed", id: 1 }, { ...sessionCreated(2), id: -1 }, sessionCreated(3));
      },
    });
    const client = createClient({ url: server.url });
    const errors: string[] = [];
    client.onError((error) => errors.push(error.message));
    const ids = collectEventIds(client);
    client.connect();

    await vi.waitFor(() => expect(ids).toEqual([3]));
    expect(errors).toHaveLength(3);
  });

  it("keeps delivering to other listeners when one listener throws", async () => {
    const server = await startServer({ onConnection: (socket) => send(socket, sessionCreated(1)) });
    const client = createClient({ url: server.url });
    const errors: Error[] = [];
    client.onError((error) => errors.push(error));
    client.onEvent(() => {
      throw new Error("listener bug");
    });
    const ids = collectEventIds(client);
    client.connect();

    await vi.waitFor(() => expect(ids).toEqual([1]));
    expect(errors.map((error) => error.message)).toEqual(["An event stream listener threw."]);
  });

  it("stops delivering to a listener after it unsubscribes", async () => {
    const server = await startServer();
    const client = createClient({ url: server.url });
    const ids: number[] = [];
    const unsubscribe = client.onEvent((event) => ids.push(event.id));
    const all = collectEventIds(client);
    client.connect();
    await vi.waitFor(() => expect(server.sockets).toHaveLength(1));

    send(server.sockets[0]!, sessionCreated(1));
    await vi.waitFor(() => expect(all).toEqual([1]));
    unsubscribe();
    send(server.sockets[0]!, sessionCreated(2));
    await vi.waitFor(() => expect(all).toEqual([1, 2]));
    expect(ids).toEqual([1]);
  });

  it("stops reconnecting after close()", async () => {
    const server = await startServer();
    const client = createClient({ url: server.url });
    const statuses: EventClientStatus[] = [];
    client.onStatus((status) => statuses.push(status));
    client.connect();
    await vi.waitFor(() => expect(client.status).toBe("open"));
    const serverSideClosed = once(server.sockets[0]!, "close");

    client.close();
    await serverSideClosed;
    await sleep(50);

    expect(server.sockets).toHaveLength(1);
    expect(statuses).toEqual(["connecting", "open", "closed"]);
  });

  it("cancels a pending reconnection when closed during a backoff wait", async () => {
    const url = await unusedUrl();
    const client = createClient({ url, baseDelayMs: 150, random: () => 1 });
    client.onError(() => {});
    const statuses: EventClientStatus[] = [];
    client.onStatus((status) => statuses.push(status));
    client.connect();
    await vi.waitFor(() => expect(statuses).toEqual(["connecting", "closed"]));

    client.close();
    await sleep(250);

    expect(statuses).toEqual(["connecting", "closed"]);
  });

  it("skips the backoff wait when asked to reconnect now", async () => {
    const server = await startServer({
      accept: (attempt) => attempt >= 1,
    });
    const client = createClient({ url: server.url, baseDelayMs: 60_000, random: () => 1 });
    client.onError(() => {});
    client.connect();
    await vi.waitFor(() => expect(client.status).toBe("closed"));

    client.reconnectNow();

    await vi.waitFor(() => expect(client.status).toBe("open"));
  });
});
