import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import fp from "fastify-plugin";

/**
 * Serves the built SPA from the same port as the API. Unknown non-API paths get `index.html`
 * so client-side routes survive a reload.
 */
export default fp<{ root: string }>(
  async function web(fastify, { root }) {
    if (root === "none") return;
    if (!existsSync(path.join(root, "index.html"))) {
      fastify.log.warn({ root }, "web app not built; serving the API only");
      return;
    }
    await fastify.register(fastifyStatic, { root: path.resolve(root), wildcard: false });
    fastify.get("/*", { config: { public: true }, schema: { hide: true } }, (request, reply) => {
      if (request.url.startsWith("/api/")) return reply.callNotFound();
      return reply.sendFile("index.html");
    });
  },
  { name: "web", dependencies: ["error-handler"] },
);
