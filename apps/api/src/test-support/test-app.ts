import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type WebSocket from "ws";
import { buildApp } from "../app.ts";
import { loadConfig, type Config } from "../config.ts";
import type { Clock } from "../lib/clock.ts";

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** A real database file; by default a fresh in-memory database migrated by the real migrations. */
  databaseFile?: string;
  dataDir?: string;
  /**
   * The key for values at rest. By default one fixed key per test file, so no test touches a
   * key file; `null` uses the real source (ENCRYPTION_KEY, else DATA_DIR/encryption.key).
   */
  encryptionKey?: Buffer | null;
}

const testEncryptionKey = randomBytes(32);

/** A temporary data directory removed by the returned cleanup. */
export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "tidemark-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(env: Record<string, string> = {}, dataDir = tmpdir()): Config {
  return loadConfig({ LOG_LEVEL: "silent", WEB_DIST_DIR: "none", DATA_DIR: dataDir, ...env });
}

/** The real app on a real (in-memory unless told otherwise) SQLite database, ready for `inject`. */
export async function createTestApp(options: TestAppOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig(options.env, options.dataDir),
    clock: options.clock,
    databaseFile: options.databaseFile ?? ":memory:",
    encryptionKey: options.encryptionKey === null ? undefined : (options.encryptionKey ?? testEncryptionKey),
  });
  await app.ready();
  return app;
}

export interface Device {
  userId: string;
  token: string;
  headers: { authorization: string };
}

export async function createDevice(app: FastifyInstance): Promise<Device> {
  const response = await app.inject({ method: "POST", url: "/api/auth/device" });
  const body = response.json<{ userId: string; token: string }>();
  return { ...body, headers: { authorization: `Bearer ${body.token}` } };
}

export async function createSession(
  app: FastifyInstance,
  device: Device,
  body: Record<string, unknown> = { kind: "recording" },
): Promise<{ id: string; status: string } & Record<string, unknown>> {
  const response = await app.inject({ method: "POST", url: "/api/sessions", headers: device.headers, payload: body });
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

export function post(app: FastifyInstance, device: Device, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: "POST", url, headers: device.headers });
}

/** Opens `/api/ws` through `injectWS`, collecting every message from the first one on. */
export async function openEventStream(
  app: FastifyInstance,
  device: Device,
  query = "",
): Promise<{ socket: WebSocket; messages: Array<Record<string, unknown>> }> {
  const messages: Array<Record<string, unknown>> = [];
  const socket = await app.injectWS(`/api/ws${query}`, { headers: device.headers }, {
    onInit: (ws) => ws.on("message", (data) => messages.push(JSON.parse(String(data)))),
  });
  return { socket, messages };
}

/** `sha-256=:<base64>:` for a body, as RFC 9530 wants it. */
export function contentDigestOf(body: Uint8Array): string {
  return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

/** `samples` 16-bit samples of a recognisable ramp, offset so every chunk differs. */
export function pcmChunk(samples: number, offset = 0): Buffer {
  const buffer = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) buffer.writeInt16LE(((offset + i) % 65_536) - 32_768, i * 2);
  return buffer;
}

export function putChunk(
  app: FastifyInstance,
  device: Device,
  sessionId: string,
  track: number,
  seq: number,
  body: Buffer,
  digest: string = contentDigestOf(body),
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "PUT",
    url: `/api/session/${sessionId}/tracks/${track}/chunks/${seq}`,
    headers: { ...device.headers, "content-type": "application/octet-stream", "content-digest": digest },
    payload: body,
  });
}

export function declareTrack(
  app: FastifyInstance,
  device: Device,
  sessionId: string,
  track: number,
  declaration: Record<string, unknown> = { label: track === 0 ? "Microphone" : "Guest", sampleRate: 48_000, channels: 1 },
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "PUT",
    url: `/api/session/${sessionId}/tracks/${track}`,
    headers: device.headers,
    payload: declaration,
  });
}
