import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_PREFERENCES, type Preferences, type SessionCheckpointState } from "@tidemark/shared";
import { databaseFile, encryptionKeyFile } from "../config.ts";
import { createDevice, createSession, createTestApp, tempDataDir, type Device } from "../test-support/test-app.ts";

const SECRET = "Tidemark known secret: the lighthouse keeper's password is 7f3a9c";

const preferencesWith = (name: string): Preferences => ({
  ...DEFAULT_PREFERENCES,
  savedVoices: [{ id: "v1", name, engine: "flite", voice: "slt", parameters: DEFAULT_PREFERENCES.parameters }],
});

const checkpointWith = (text: string): SessionCheckpointState => ({
  title: "Draft",
  chapters: [{ id: "c1", title: "One", text }],
  engine: "flite",
  voice: "slt",
  parameters: DEFAULT_PREFERENCES.parameters,
  position: { chapter: 0, offset: 0 },
  notes: text,
  savedAt: "2026-01-01T00:00:00.000Z",
});

/** Every encoding of the secret a careless implementation could have stored. */
const encodingsOf = (text: string) => [
  text,
  "lighthouse keeper",
  Buffer.from(text).toString("base64"),
  Buffer.from(text).toString("base64").slice(4, 40),
  Buffer.from(text).toString("hex"),
  Buffer.from(text, "utf16le").toString("latin1"),
];

describe("server backup encryption at rest", () => {
  let data: ReturnType<typeof tempDataDir>;
  let file: string;
  let app: FastifyInstance;
  let alice: Device;

  beforeEach(async () => {
    data = tempDataDir();
    file = databaseFile({ DATA_DIR: data.dir });
  });
  afterEach(async () => {
    await app.close();
    data.remove();
  });

  const start = async (options: { encryptionKey?: Buffer | null; env?: Record<string, string> } = {}) => {
    app = await createTestApp({ dataDir: data.dir, databaseFile: file, env: { SWEEP_INTERVAL_MS: "3600000", ...options.env }, ...options });
  };
  const getPreferences = (device: Device) =>
    app.inject({ method: "GET", url: "/api/preferences", headers: device.headers }).then((r) => r.json());
  const getCheckpoint = (device: Device, sessionId: string) =>
    app.inject({ method: "GET", url: `/api/session/${sessionId}/checkpoint`, headers: device.headers }).then((r) => r.json());
  const putPreferences = (device: Device, baseVersion: number, preferences: Preferences) =>
    app.inject({ method: "PUT", url: "/api/preferences", headers: device.headers, payload: { baseVersion, preferences } });
  const putCheckpoint = (device: Device, sessionId: string, baseVersion: number, state: SessionCheckpointState) =>
    app.inject({ method: "PUT", url: `/api/session/${sessionId}/checkpoint`, headers: device.headers, payload: { baseVersion, state } });

  const databaseBytes = () =>
    Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))).toString("latin1");

  it("keeps no plaintext of preferences or checkpoints in the database files, and gives the values back after a restart", async () => {
    const key = randomBytes(32);
    await start({ encryptionKey: key });
    alice = await createDevice(app);
    // Session titles are not encrypted: they show the files are read where the values are.
    const sessionId = (await createSession(app, alice, { kind: "synthesis", title: "plaintext title marker" })).id;
    expect((await putPreferences(alice, 0, preferencesWith(SECRET))).statusCode).toBe(200);
    expect((await putCheckpoint(alice, sessionId, 0, checkpointWith(SECRET))).statusCode).toBe(200);
    expect((await getPreferences(alice)).preferences.savedVoices[0].name).toBe(SECRET);

    // While running, the newest pages are in the WAL; after close they are in the main file.
    expect(databaseBytes()).toContain("plaintext title marker");
    for (const encoding of encodingsOf(SECRET)) expect(databaseBytes()).not.toContain(encoding);
    await app.close();
    expect(databaseBytes()).toContain("plaintext title marker");
    for (const encoding of encodingsOf(SECRET)) expect(databaseBytes()).not.toContain(encoding);

    await start({ encryptionKey: key });
    expect(await getPreferences(alice)).toEqual({ version: 1, preferences: preferencesWith(SECRET) });
    expect(await getCheckpoint(alice, sessionId)).toEqual({ version: 1, state: checkpointWith(SECRET) });
  });

  it("generates the key into DATA_DIR once and reads the values with it after a restart", async () => {
    await start({ encryptionKey: null });
    const keyFile = encryptionKeyFile({ DATA_DIR: data.dir });
    const key = readFileSync(keyFile, "utf8");
    alice = await createDevice(app);
    await putPreferences(alice, 0, preferencesWith(SECRET));
    await app.close();

    await start({ encryptionKey: null });
    expect(readFileSync(keyFile, "utf8")).toBe(key);
    expect((await getPreferences(alice)).preferences.savedVoices[0].name).toBe(SECRET);
  });

  it("refuses to start when the key file is gone but values encrypted with it are stored", async () => {
    await start({ encryptionKey: null });
    alice = await createDevice(app);
    await putPreferences(alice, 0, preferencesWith(SECRET));
    await app.close();
    rmSync(encryptionKeyFile({ DATA_DIR: data.dir }));
    await expect(start({ encryptionKey: null })).rejects.toThrow(/encryption\.key is missing/);
    await start(); // for afterEach
  });

  it("uses ENCRYPTION_KEY when it is set and writes no key file", async () => {
    const key = randomBytes(32).toString("base64");
    await start({ encryptionKey: null, env: { ENCRYPTION_KEY: key } });
    alice = await createDevice(app);
    await putPreferences(alice, 0, preferencesWith(SECRET));
    await app.close();
    expect(existsSync(encryptionKeyFile({ DATA_DIR: data.dir }))).toBe(false);

    await start({ encryptionKey: null, env: { ENCRYPTION_KEY: key } });
    expect((await getPreferences(alice)).preferences.savedVoices[0].name).toBe(SECRET);
  });

  it("refuses to start with a damaged key file, naming the file", async () => {
    writeFileSync(encryptionKeyFile({ DATA_DIR: data.dir }), "not a key");
    await expect(start({ encryptionKey: null })).rejects.toThrow(/encryption\.key/);
    await start(); // for afterEach
  });

  describe("a stored value that fails authentication", () => {
    let bob: Device;
    let sessionId: string;
    let logged: ReturnType<typeof vi.spyOn>;

    beforeEach(async () => {
      await start();
      logged = vi.spyOn(app.log, "error");
      alice = await createDevice(app);
      bob = await createDevice(app);
      sessionId = (await createSession(app, alice, { kind: "synthesis" })).id;
      await putPreferences(alice, 0, preferencesWith("alice's voice"));
      await putPreferences(alice, 1, preferencesWith("alice's newer voice"));
      await putCheckpoint(alice, sessionId, 0, checkpointWith("alice's draft"));
    });

    const sql = (statement: string, ...parameters: unknown[]) => app.db.$client.prepare(statement).run(...parameters);
    const flipFirstByte = (table: string) => {
      const { ciphertext } = app.db.$client.prepare(`SELECT ciphertext FROM ${table}`).get() as { ciphertext: Buffer };
      ciphertext[0] = ciphertext[0]! ^ 0x01;
      sql(`UPDATE ${table} SET ciphertext = ?`, ciphertext);
    };

    it("is detected when its ciphertext was changed: logged, answered with the stored version and the defaults", async () => {
      flipFirstByte("user_preferences");
      expect(await getPreferences(alice)).toEqual({ version: 2, preferences: DEFAULT_PREFERENCES });
      expect(logged).toHaveBeenCalledWith(
        expect.objectContaining({ userId: alice.userId, kind: "preferences", version: 2 }),
        expect.stringContaining("cannot be decrypted"),
      );
    });

    it("is detected for a checkpoint, which then reads as version N with no state", async () => {
      sql("UPDATE session_checkpoints SET auth_tag = zeroblob(16)");
      expect(await getCheckpoint(alice, sessionId)).toEqual({ version: 1, state: null });
      expect(logged).toHaveBeenCalledOnce();
    });

    it("is detected when a ciphertext was copied into another user's row", async () => {
      await putPreferences(bob, 0, preferencesWith("bob's voice"));
      await putPreferences(bob, 1, preferencesWith("bob's newer voice"));
      sql(
        `UPDATE user_preferences SET (ciphertext, iv, auth_tag) =
           (SELECT ciphertext, iv, auth_tag FROM user_preferences WHERE user_id = ?) WHERE user_id = ?`,
        alice.userId,
        bob.userId,
      );
      expect(await getPreferences(bob)).toEqual({ version: 2, preferences: DEFAULT_PREFERENCES });
      expect(logged).toHaveBeenCalledOnce();
    });

    it("is detected when a row is set back to an older version number", async () => {
      sql("UPDATE user_preferences SET version = 1");
      expect(await getPreferences(alice)).toEqual({ version: 1, preferences: DEFAULT_PREFERENCES });
    });

    it("is replaced by the next write based on its version, which reads back intact", async () => {
      flipFirstByte("user_preferences");
      const conflict = await putPreferences(alice, 1, preferencesWith("stale"));
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toMatchObject({ version: 2, preferences: DEFAULT_PREFERENCES });
      expect((await putPreferences(alice, 2, preferencesWith("repaired"))).json()).toEqual({
        version: 3,
        preferences: preferencesWith("repaired"),
      });
      expect(await getPreferences(alice)).toEqual({ version: 3, preferences: preferencesWith("repaired") });
    });

    it("is read with a changed key the same way: nothing readable, never a server error", async () => {
      await app.close();
      await start({ encryptionKey: randomBytes(32) });
      const response = await app.inject({ method: "GET", url: "/api/preferences", headers: alice.headers });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ version: 2, preferences: DEFAULT_PREFERENCES });
    });
  });
});
