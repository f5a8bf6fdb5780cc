import { DEFAULT_PREFERENCES, type CheckpointDocument, type Preferences, type PreferencesDocument } from "@tidemark/shared";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../api-client.ts";
import { heldTimers } from "../test-support/harness.ts";
import { createServerBackup, type ServerBackup, type ServerBackupOptions } from "./server-backup.ts";
import type { StateStorage } from "./state-storage.ts";
import { checkpointState } from "./test-support/backup-fixtures.ts";
import { FakeBackupServer } from "./test-support/fake-backup-server.ts";
import { openTestStateStorage } from "./test-support/storage-fakes.ts";

const SESSION = "0190f5d2-8c4e-7a3b-9d2f-1c2b3a4d5e03";
const OTHER_SESSION = "0190f5d2-8c4e-7a3b-9d2f-1c2b3a4d5e04";
const NOW = Date.UTC(2025, 5, 1, 9);

const backups: ServerBackup[] = [];
const storages: StateStorage[] = [];

afterEach(() => {
  for (const backup of backups.splice(0)) backup.dispose();
  for (const storage of storages.splice(0)) storage.close();
});

function preferences(change: Partial<Preferences> = {}): Preferences {
  return { ...structuredClone(DEFAULT_PREFERENCES), ...change };
}

/** A backup on `storage` (a fresh IndexedDB unless given), recording what it hands to the store. */
async function openBackup(server: FakeBackupServer, options: Partial<ServerBackupOptions> & { storage?: StateStorage } = {}) {
  const storage = options.storage ?? (await openTestStateStorage()).storage;
  storages.push(storage);
  const timers = heldTimers();
  const handedPreferences: PreferencesDocument[] = [];
  const handedCheckpoints: Array<[string, CheckpointDocument]> = [];
  const backup = createServerBackup({
    api: server,
    storage,
    lifecycle: null,
    now: () => NOW,
    random: () => 0.5,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    onPreferences: (document) => handedPreferences.push(document),
    onCheckpoint: (sessionId, document) => handedCheckpoints.push([sessionId, document]),
    ...options,
  });
  backups.push(backup);
  return { backup, storage, timers, handedPreferences, handedCheckpoints };
}

/** A started backup whose push of our voice lost to another device's: one conflict copy, "copy-1". */
async function backupWithConflict(server: FakeBackupServer) {
  const opened = await openBackup(server, { createId: () => "copy-1" });
  await opened.backup.start();
  server.writePreferencesElsewhere({ voice: "kal" });
  await opened.backup.pushPreferences(preferences({ voice: "rms" }));
  await opened.backup.drain();
  return opened;
}

function writes(server: FakeBackupServer): string[] {
  return server.requests.filter((request) => request.startsWith("put"));
}

describe("createServerBackup", () => {
  it("sends pushed preferences on top of the known version and reports them synced", async () => {
    const server = new FakeBackupServer();
    const { backup } = await openBackup(server);
    await backup.start();

    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();
    await backup.pushPreferences(preferences({ voice: "rms" }));
    await backup.drain();

    expect(writes(server)).toEqual(["putPreferences base=0", "putPreferences base=1"]);
    expect(server.preferences).toEqual({ version: 2, preferences: preferences({ voice: "rms" }) });
    expect(backup.getStatus()).toMatchObject({ pending: 0, phase: "synced", lastSyncedAt: NOW, preferencesVersion: 2, error: null });
  });

  it("keeps only the latest value per target while offline and replays the targets in the order of their latest change", async () => {
    const server = new FakeBackupServer();
    server.offline = true;
    const { backup, timers } = await openBackup(server);
    await backup.start();

    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();
    await backup.pushCheckpoint(SESSION, checkpointState("first"));
    await backup.pushCheckpoint(OTHER_SESSION, checkpointState("other"));
    await backup.pushPreferences(preferences({ voice: "kal" }));
    await backup.pushCheckpoint(SESSION, checkpointState("second"));
    expect(backup.getStatus()).toMatchObject({ phase: "offline", pending: 3 });

    server.offline = false;
    server.requests.length = 0;
    timers.fire();
    await backup.drain();

    expect(writes(server)).toEqual([`putCheckpoint ${OTHER_SESSION} base=0`, "putPreferences base=0", `putCheckpoint ${SESSION} base=0`]);
    expect(server.preferences.preferences.voice).toBe("kal");
    expect(server.checkpoint(SESSION).state?.notes).toBe("second");
    expect(backup.getStatus()).toMatchObject({ phase: "synced", pending: 0 });
  });

  it("keeps queued pushes across a reload and sends them when the next page starts", async () => {
    const server = new FakeBackupServer();
    server.offline = true;
    const first = await openTestStateStorage();
    const before = await openBackup(server, { storage: first.storage });
    await before.backup.start();
    await before.backup.pushCheckpoint(SESSION, checkpointState("typed before the crash"));
    await before.backup.pushPreferences(preferences({ voice: "awb" }));
    before.backup.dispose();

    server.offline = false;
    server.requests.length = 0;
    const { storage } = await openTestStateStorage(first.indexedDB);
    const after = await openBackup(server, { storage });
    expect(after.backup.getStatus().pending).toBe(0);
    await after.backup.start();

    expect(writes(server)).toEqual([`putCheckpoint ${SESSION} base=0`, "putPreferences base=0"]);
    expect(server.checkpoint(SESSION).state?.notes).toBe("typed before the crash");
    expect(after.backup.getStatus().pending).toBe(0);
  });

  it("goes offline when the server cannot be reached and retries with growing, jittered delays", async () => {
    const server = new FakeBackupServer();
    server.offline = true;
    const { backup, timers } = await openBackup(server, { retryBaseMs: 1_000, retryMaxMs: 8_000 });
    await backup.start();
    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();

    for (let retry = 0; retry < 4; retry += 1) {
      timers.fire();
      await backup.drain();
    }

    expect(timers.delays).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
    expect(backup.getStatus()).toMatchObject({ phase: "offline", pending: 1, error: expect.stringMatching(/cannot be reached/) });
    expect(server.preferences.version).toBe(0);
  });

  it("retries at once when the browser says it is online again", async () => {
    const server = new FakeBackupServer();
    server.offline = true;
    const window = new EventTarget();
    const { backup, timers } = await openBackup(server, { lifecycle: window });
    await backup.start();
    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();
    expect(timers.scheduled).toHaveLength(1);

    server.offline = false;
    window.dispatchEvent(new Event("online"));
    await backup.drain();

    expect(timers.scheduled).toHaveLength(0);
    expect(server.preferences.version).toBe(1);
  });

  it("adopts the version of its own write whose answer was lost, instead of seeing a conflict", async () => {
    const server = new FakeBackupServer();
    server.loseAnswers = 1;
    const { backup, timers, handedPreferences } = await openBackup(server);
    await backup.start();

    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();
    timers.fire();
    await backup.drain();

    expect(writes(server)).toEqual(["putPreferences base=0", "putPreferences base=0"]);
    expect(backup.getStatus()).toMatchObject({ conflicts: [], pending: 0, phase: "synced", preferencesVersion: 1 });
    expect(handedPreferences).toEqual([]);
  });

  it("recognises an earlier unanswered write of its own under a newer value and sends the newer one on top", async () => {
    const server = new FakeBackupServer();
    server.loseAnswers = 1;
    const { backup, timers } = await openBackup(server);
    await backup.start();
    await backup.pushCheckpoint(SESSION, checkpointState("first"));
    await backup.drain();

    await backup.pushCheckpoint(SESSION, checkpointState("second"));
    timers.fire();
    await backup.drain();

    expect(writes(server)).toEqual([`putCheckpoint ${SESSION} base=0`, `putCheckpoint ${SESSION} base=0`, `putCheckpoint ${SESSION} base=1`]);
    expect(server.checkpoint(SESSION)).toMatchObject({ version: 2, state: { notes: "second" } });
    expect(backup.getStatus().conflicts).toEqual([]);
  });

  it("lets the server's value win a real conflict and keeps ours as a conflict copy that survives a reload", async () => {
    const server = new FakeBackupServer();
    const first = await openTestStateStorage();
    const { backup, handedPreferences } = await openBackup(server, { storage: first.storage, createId: () => "copy-1" });
    await backup.start();
    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();
    const elsewhere = server.writePreferencesElsewhere({ voice: "kal" });

    await backup.pushPreferences(preferences({ voice: "rms" }));
    await backup.drain();

    expect(server.preferences).toEqual(elsewhere);
    expect(handedPreferences).toEqual([elsewhere]);
    const copy = { id: "copy-1", kind: "preferences", sessionId: null, value: preferences({ voice: "rms" }), serverVersion: 2, createdAt: NOW };
    expect(backup.getStatus()).toMatchObject({ conflicts: [copy], pending: 0, preferencesVersion: 2 });

    const { storage } = await openTestStateStorage(first.indexedDB);
    const reloaded = await openBackup(server, { storage });
    await reloaded.backup.start();
    expect(reloaded.backup.getStatus().conflicts).toEqual([copy]);
  });

  it("keeps a conflict copy by putting it back into the store and writing it on top of the server's version", async () => {
    const server = new FakeBackupServer();
    const { backup, handedPreferences } = await backupWithConflict(server);

    await backup.keepConflict("copy-1");
    await backup.drain();

    expect(server.preferences).toEqual({ version: 2, preferences: preferences({ voice: "rms" }) });
    expect(handedPreferences.map((document) => document.preferences.voice)).toEqual(["kal", "rms"]);
    expect(backup.getStatus()).toMatchObject({ conflicts: [], preferencesVersion: 2 });
  });

  it("discards a conflict copy for good", async () => {
    const server = new FakeBackupServer();
    const { backup, storage } = await backupWithConflict(server);

    await backup.discardConflict("copy-1");

    expect(backup.getStatus().conflicts).toEqual([]);
    expect(await storage.listConflicts()).toEqual([]);
    expect(server.preferences.preferences.voice).toBe("kal");
  });

  it("keeps a value that lost elsewhere as a conflict copy like the others, to keep on top of the server's version", async () => {
    const server = new FakeBackupServer();
    const first = await openTestStateStorage();
    const { backup, handedCheckpoints } = await openBackup(server, { storage: first.storage, createId: () => "tab-copy" });
    await backup.start();
    await backup.pushCheckpoint(SESSION, checkpointState("kept here"));
    await backup.drain();

    const copy = await backup.addConflictCopy({ kind: "checkpoint", sessionId: SESSION, value: checkpointState("the other tab's") });
    const { storage } = await openTestStateStorage(first.indexedDB);
    const reloaded = await openBackup(server, { storage });
    await reloaded.backup.start();
    await backup.keepConflict("tab-copy");
    await backup.drain();

    expect(copy).toMatchObject({ id: "tab-copy", serverVersion: 1, createdAt: NOW });
    expect(reloaded.backup.getStatus().conflicts).toEqual([copy]);
    expect(handedCheckpoints).toEqual([[SESSION, { version: 1, state: checkpointState("the other tab's") }]]);
    expect(server.checkpoint(SESSION)).toEqual({ version: 2, state: checkpointState("the other tab's") });
    expect(backup.getStatus().conflicts).toEqual([]);
  });

  it("fetches and hands on a value another device wrote when told of a newer version, and ignores versions it knows", async () => {
    const server = new FakeBackupServer();
    const { backup, handedPreferences, handedCheckpoints } = await openBackup(server);
    await backup.start();
    const elsewhere = server.writePreferencesElsewhere({ voice: "kal" });
    server.checkpoints.set(SESSION, { version: 4, state: checkpointState("from the laptop") });

    await backup.handleEvent({ id: 10, at: "2025-06-01T09:00:00.000Z", type: "preferences.updated", version: 1 });
    await backup.handleEvent({ id: 11, at: "2025-06-01T09:00:00.000Z", type: "preferences.updated", version: 1 });
    await backup.handleEvent({ id: 12, at: "2025-06-01T09:00:00.000Z", type: "checkpoint.updated", sessionId: SESSION, version: 4 });

    expect(handedPreferences).toEqual([elsewhere]);
    expect(handedCheckpoints).toEqual([[SESSION, { version: 4, state: checkpointState("from the laptop") }]]);
    expect(server.requests.filter((request) => request.startsWith("get"))).toEqual(["getPreferences", `getCheckpoint ${SESSION}`]);
  });

  it("turns a queued push into a conflict copy when another device's newer value arrives first, rather than overwrite it", async () => {
    const server = new FakeBackupServer();
    server.offline = true;
    const { backup } = await openBackup(server, { createId: () => "copy-1" });
    await backup.start();
    await backup.pushCheckpoint(SESSION, checkpointState("typed offline"));
    await backup.drain();
    server.offline = false;
    server.checkpoints.set(SESSION, { version: 1, state: checkpointState("typed on the laptop") });

    await backup.handleEvent({ id: 3, at: "2025-06-01T09:00:00.000Z", type: "checkpoint.updated", sessionId: SESSION, version: 1 });
    await backup.drain();

    expect(backup.getStatus()).toMatchObject({ pending: 0, conflicts: [{ id: "copy-1", sessionId: SESSION, value: checkpointState("typed offline") }] });
    expect(server.checkpoint(SESSION).state?.notes).toBe("typed on the laptop");
  });

  it("re-checks every known checkpoint on refresh", async () => {
    const server = new FakeBackupServer();
    const { backup, handedCheckpoints } = await openBackup(server);
    await backup.start();
    await backup.pushCheckpoint(SESSION, checkpointState("mine"));
    await backup.drain();
    server.checkpoints.set(SESSION, { version: 2, state: checkpointState("theirs") });

    await backup.refresh();

    expect(handedCheckpoints).toEqual([[SESSION, { version: 2, state: checkpointState("theirs") }]]);
  });

  it("reports a push the server refuses for good, drops it from the queue and sends the rest", async () => {
    const server = new FakeBackupServer();
    server.refusals.push(new ApiError(400, "The checkpoint does not fit the schema."));
    const { backup } = await openBackup(server);
    await backup.start();

    await backup.pushCheckpoint(SESSION, checkpointState("invalid"));
    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();

    expect(server.preferences.version).toBe(1);
    const refused = "The server refused the backup of the draft (The checkpoint does not fit the schema). It is saved on this device only.";
    expect(backup.getStatus()).toMatchObject({ pending: 0, phase: "error", error: refused, refused });
  });

  it("tells the user, until a later push gets through, that a draft too large for the server is saved on this device only", async () => {
    const server = new FakeBackupServer();
    server.refusals.push(new ApiError(413, "Request body is too large"));
    const { backup, timers } = await openBackup(server);
    await backup.start();

    await backup.pushCheckpoint(SESSION, checkpointState("huge"));
    await backup.drain();
    // A passing failure of another push does not hide it.
    server.refusals.push(new ApiError(503, "The server is unavailable right now (503). Try again in a moment."));
    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();

    const refused = "The server refused the backup of the draft (it is larger than the server accepts). It is saved on this device only.";
    expect(backup.getStatus()).toMatchObject({ phase: "error", refused, error: expect.stringMatching(/retrying/) });
    timers.fire();
    await backup.drain();
    expect(backup.getStatus()).toMatchObject({ refused });

    await backup.pushCheckpoint(SESSION, checkpointState("shortened"));
    await backup.drain();
    expect(backup.getStatus()).toMatchObject({ phase: "synced", refused: null, error: null });
  });

  describe("a checkpoint whose session the server no longer has", () => {
    const NEW_SESSION = "0190f5d2-8c4e-7a3b-9d2f-1c2b3a4d5e05";
    const sessionGone = () => new ApiError(404, "Session not found");

    /** A started backup whose lost checkpoints go to NEW_SESSION; `failures` first attempts throw. */
    async function backupGivingNewSessions(server: FakeBackupServer, failures = 0) {
      const opened = await openBackup(server);
      const lost: Array<{ sessionId: string; notes: string }> = [];
      let failed = 0;
      opened.backup.handleLostSessions(async ({ sessionId, value }) => {
        lost.push({ sessionId, notes: value.notes });
        if (failed++ < failures) throw new ApiError(0, "The server could not be reached.");
        await opened.backup.pushCheckpoint(NEW_SESSION, value);
        return NEW_SESSION;
      });
      await opened.backup.start();
      return { ...opened, lost };
    }

    it("is handed over for a new session, backed up there, and its old session is forgotten", async () => {
      const server = new FakeBackupServer();
      const { backup, storage, lost } = await backupGivingNewSessions(server);
      await backup.pushCheckpoint(SESSION, checkpointState("first"));
      await backup.drain();
      server.refusals.push(sessionGone());

      await backup.pushCheckpoint(SESSION, checkpointState("typed a day later"));
      await backup.drain();

      expect(lost).toEqual([{ sessionId: SESSION, notes: "typed a day later" }]);
      expect(server.checkpoint(NEW_SESSION)).toEqual({ version: 1, state: checkpointState("typed a day later") });
      expect(backup.getStatus()).toMatchObject({ pending: 0, phase: "synced", error: null, refused: null });
      expect(await storage.listOutbox()).toEqual([]);
      expect(await storage.readMeta("backup:known-versions")).toEqual({ [`checkpoint:${NEW_SESSION}`]: 1 });
    });

    it("stays queued and is tried again when no new session can be made yet", async () => {
      const server = new FakeBackupServer();
      const { backup, timers, lost } = await backupGivingNewSessions(server, 1);
      server.refusals.push(sessionGone());

      await backup.pushCheckpoint(SESSION, checkpointState("not lost"));
      await backup.drain();
      expect(backup.getStatus()).toMatchObject({ pending: 1, phase: "error", error: expect.stringMatching(/session is gone/) });

      server.refusals.push(sessionGone());
      timers.fire();
      await backup.drain();

      expect(lost).toHaveLength(2);
      expect(server.checkpoint(NEW_SESSION).state?.notes).toBe("not lost");
      expect(backup.getStatus()).toMatchObject({ pending: 0, phase: "synced" });
    });

    it("is refused, not handed over again, when the session made for it is not found either", async () => {
      const server = new FakeBackupServer();
      const { backup, lost } = await backupGivingNewSessions(server);
      server.refusals.push(sessionGone(), sessionGone());

      await backup.pushCheckpoint(SESSION, checkpointState("twice"));
      await backup.drain();

      expect(lost).toHaveLength(1);
      expect(backup.getStatus()).toMatchObject({ pending: 0, phase: "error", refused: expect.stringMatching(/Session not found/) });
    });

    it("is no longer checked on refresh, while the other checkpoints still are", async () => {
      const server = new FakeBackupServer();
      const { backup, handedCheckpoints, storage } = await openBackup(server);
      await backup.start();
      await backup.pushCheckpoint(SESSION, checkpointState("deleted with its session"));
      await backup.pushCheckpoint(OTHER_SESSION, checkpointState("mine"));
      await backup.drain();
      server.checkpoints.set(OTHER_SESSION, { version: 2, state: checkpointState("theirs") });
      const getCheckpoint = server.getCheckpoint.bind(server);
      server.getCheckpoint = async (sessionId) => {
        if (sessionId === SESSION) throw sessionGone();
        return getCheckpoint(sessionId);
      };

      await backup.refresh();

      expect(handedCheckpoints).toEqual([[OTHER_SESSION, { version: 2, state: checkpointState("theirs") }]]);
      expect(await storage.readMeta("backup:known-versions")).not.toHaveProperty(`checkpoint:${SESSION}`);
    });
  });

  it("retries a server error with backoff rather than dropping the push", async () => {
    const server = new FakeBackupServer();
    server.refusals.push(new ApiError(503, "The server is unavailable right now (503). Try again in a moment."));
    const { backup, timers } = await openBackup(server);
    await backup.start();

    await backup.pushPreferences(preferences({ voice: "awb" }));
    await backup.drain();
    expect(backup.getStatus()).toMatchObject({ phase: "error", pending: 1 });
    timers.fire();
    await backup.drain();

    expect(backup.getStatus()).toMatchObject({ phase: "synced", pending: 0, error: null });
  });

  it("forgets the queue, the conflict copies and the known versions when all data is deleted", async () => {
    const server = new FakeBackupServer();
    const { backup, storage } = await backupWithConflict(server);
    server.offline = true;
    await backup.pushCheckpoint(SESSION, checkpointState("x"));

    await backup.clearAll();

    expect(backup.getStatus()).toMatchObject({ pending: 0, conflicts: [], preferencesVersion: 0, phase: "idle" });
    expect(await storage.listOutbox()).toEqual([]);
    expect(await storage.listConflicts()).toEqual([]);
  });
});
