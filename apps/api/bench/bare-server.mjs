// The baseline for the heartbeat benchmark: the same Fastify the API uses, with one route that
// answers a keepalive-sized JSON object and does nothing else (no auth, no schemas, no database,
// no logger). It runs in its own process, like the real server, so both are measured the same way.
import Fastify from "fastify";

const port = Number(process.env.PORT);
const host = process.env.HOST ?? "127.0.0.1";

const app = Fastify({ logger: false, forceCloseConnections: true });

app.get("/bare/health", async () => ({ status: "ok" }));

// Same shape and size as the keepalive answer: {status, lastHeartbeat}.
app.post("/bare/:id", async () => ({ status: "active", lastHeartbeat: new Date().toISOString() }));

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

try {
  await app.listen({ port, host });
} catch (error) {
  console.error("bare server failed to start:", error);
  process.exit(1);
}
