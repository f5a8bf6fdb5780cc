import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { appShellManifest, serverAnsweredPage, shellRoute, type ShellRequest } from "./app-shell.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const manifest = appShellManifest("/", ["index.html", "sw.js", "assets/index-a1.js", "assets/index-a1.js.map", "assets/index-b2.css"], "<html>", sha256);
const SCOPE = "https://studio.example/";

function request(url: string, init: { method?: string; mode?: string; range?: boolean } = {}): ShellRequest {
  return {
    url,
    method: init.method ?? "GET",
    mode: init.mode ?? "cors",
    headers: { has: (name: string) => name === "range" && init.range === true },
  };
}

describe("appShellManifest", () => {
  it("keeps the page and every built file, not the worker or source maps, under a version that follows the build", () => {
    expect(manifest.files).toEqual(["/", "/assets/index-a1.js", "/assets/index-b2.css"]);
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/);

    const sameBuild = appShellManifest("/", ["assets/index-b2.css", "assets/index-a1.js", "index.html"], "<html>", sha256);
    const newScript = appShellManifest("/", ["assets/index-c3.js", "assets/index-b2.css"], "<html>", sha256);
    const newPage = appShellManifest("/", ["assets/index-a1.js", "assets/index-b2.css"], "<html lang=en>", sha256);
    expect(sameBuild.version).toBe(manifest.version);
    expect(newScript.version).not.toBe(manifest.version);
    expect(newPage.version).not.toBe(manifest.version);
  });

  it("puts every path under the app's base", () => {
    expect(appShellManifest("/studio/", ["assets/x.js"], "", sha256).files).toEqual(["/studio/", "/studio/assets/x.js"]);
  });
});

describe("shellRoute", () => {
  it("answers page loads anywhere in the app, and the build's own files", () => {
    expect(shellRoute(request(SCOPE, { mode: "navigate" }), SCOPE, manifest)).toBe("page");
    expect(shellRoute(request(`${SCOPE}sessions/123?tab=files`, { mode: "navigate" }), SCOPE, manifest)).toBe("page");
    expect(shellRoute(request(`${SCOPE}assets/index-a1.js`), SCOPE, manifest)).toBe("file");
  });

  it("leaves the API, other methods, ranges, other origins and unknown files to the network", () => {
    expect(shellRoute(request(`${SCOPE}api/sessions`), SCOPE, manifest)).toBe("network");
    expect(shellRoute(request(`${SCOPE}api/session/1/tracks/0/audio`, { mode: "navigate" }), SCOPE, manifest)).toBe("network");
    expect(shellRoute(request(`${SCOPE}api/session/1/tracks/0/chunks/4`, { method: "PUT" }), SCOPE, manifest)).toBe("network");
    expect(shellRoute(request(`${SCOPE}assets/index-a1.js`, { range: true }), SCOPE, manifest)).toBe("network");
    expect(shellRoute(request("https://cdn.example/assets/index-a1.js"), SCOPE, manifest)).toBe("network");
    expect(shellRoute(request(`${SCOPE}assets/index-old.js`), SCOPE, manifest)).toBe("network");
    expect(shellRoute(request(`${SCOPE}assets/index-a1.js.map`), SCOPE, manifest)).toBe("network");
  });

  it("keeps out of paths outside its scope", () => {
    const studio = appShellManifest("/studio/", ["assets/x.js"], "", sha256);
    expect(shellRoute(request("https://studio.example/other/", { mode: "navigate" }), `${SCOPE}studio/`, studio)).toBe("network");
    expect(shellRoute(request(`${SCOPE}studio/`, { mode: "navigate" }), `${SCOPE}studio/`, studio)).toBe("page");
  });
});

describe("serverAnsweredPage", () => {
  it("takes the server's page unless a gateway says the server is down", () => {
    expect([200, 304, 404, 500, 502, 503].map(serverAnsweredPage)).toEqual([true, true, true, false, false, false]);
  });
});
