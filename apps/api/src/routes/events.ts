import { EventStreamQuerySchema, type ServerMessage } from "@tidemark/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

/** A client that falls this far behind is dropped; it reconnects with `?after=` and loses nothing. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Dead peers (a laptop lid closed mid-stream) are found by pings that get no pong. */
const PING_INTERVAL_MS = 30_000;

const eventRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    "/api/ws",
    {
      websocket: true,
      schema: { tags: ["events"], summary: "Event stream; `?after=<id>` replays missed events first", querystring: EventStreamQuerySchema },
    },
    (socket, request) => {
      const send = (message: ServerMessage) => {
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, "Too far behind; reconnect with ?after=");
          return;
        }
        socket.send(JSON.stringify(message));
      };

      // Replay and subscription happen in the same synchronous turn (the database is
      // synchronous), so no event can fall between what is replayed and what is streamed.
      const after = request.query.after;
      if (after !== undefined) {
        const replay = fastify.eventLog.replay(request.userId, after);
        if (Array.isArray(replay)) replay.forEach(send);
        else send(replay);
      }
      // The user's identity was deleted: close, and a reconnect is refused (401).
      const unsubscribe = fastify.eventLog.subscribe(request.userId, send, () => socket.close(1008, "Device identity deleted"));

      let alive = true;
      socket.on("pong", () => {
        alive = true;
      });
      const ping = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, PING_INTERVAL_MS);

      socket.on("close", () => {
        clearInterval(ping);
        unsubscribe();
      });
    },
  );
};

export default eventRoutes;
