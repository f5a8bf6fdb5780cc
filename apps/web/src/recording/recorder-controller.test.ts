import { ApiError, MissingChunksError } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { DEFAULT_MICROPHONE } from "../audio/media-sources.ts";
import { controllerFakes, deferred, detail, finishResponse, trackSummary } from "./controller-fakes.ts";
import { RecorderController } from "./recorder-controller.ts";
import type { RecorderSnapshot } from "./recorder-snapshot.ts";
import type { TrackSources } from "./track-plan.ts";
import type { LockManagerLike } from "./recording-lock.ts";

const ONE_TRACK: TrackSources = { 0: DEFAULT_MICROPHONE, 1: null };
const TWO_TRACKS: TrackSources = { 0: DEFAULT_MICROPHONE, 1: { kind: "display" } };
const SECOND = 96_000;

/** Lets pending promise callbacks (journal commits, refreshes) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function setup(extra: { locks?: LockManagerLike } = {}) {
  const fakes = controllerFakes();
  const controller = new RecorderController({ ...fakes.options, ...extra });
  const phases: RecorderSnapshot["phase"][] = [];
  controller.subscribe((snapshot) => {
    if (phases.at(-1) !== snapshot.phase) phases.push(snapshot.phase);
  });
  return { ...fakes, controller, phases };
}

/** Web Locks with one holder per name, `ifAvailable` and `steal`, like the browser's. */
class FakeLocks implements LockManagerLike {
  private held = new Map<string, (error: Error) => void>();

  request(name: string, options: { ifAvailable?: boolean; steal?: boolean }, callback: (lock: unknown) => unknown) {
    if (this.held.has(name) && options.ifAvailable) return Promise.resolve(callback(null));
    if (options.steal) this.held.get(name)?.(new DOMException("stolen", "AbortError"));
    return new Promise((resolve, reject) => {
      this.held.set(name, reject);
      Promise.resolve(callback({ name })).then(resolve, reject);
    });
  }

  /** Another tab holds `name` until it is stolen. */
  holdElsewhere(name: string): void {
    this.held.set(name, () => {});
  }

  /** Another tab steals `name` from whoever holds it. */
  stealElsewhere(name: string): void {
    this.held.get(name)?.(new DOMException("stolen", "AbortError"));
    this.held.set(name, () => {});
  }
}

describe("RecorderController.start", () => {
  it("creates the session, then journals it and declares each track at the input's sample rate before recording", async () => {
    const { controller, log, inputs } = setup();
    inputs.deviceSampleRate = 44_100;

    await controller.start({ title: "  Episode 1 ", sources: TWO_TRACKS });

    expect(log).toEqual([
      "capture.open microphone",
      "capture.open display",
      "api.createSession s1 Episode 1",
      "journal.startSession s1",
      "journal.declareTrack s1 0 44100",
      "journal.declareTrack s1 1 44100",
      "heartbeat.start s1",
      "storage.persist",
    ]);
    const snapshot = controller.getSnapshot();
    expect(snapshot.phase).toBe("recording");
    expect(snapshot.sessionId).toBe("s1");
    expect(snapshot.tracks.map((track) => [track.track, track.label, track.capturing])).toEqual([
      [0, "Microphone", true],
      [1, "Second input", true],
    ]);
  });

  it("commits every chunk to the journal before waking the uploader or moving the saved position", async () => {
    const { controller, log, journal, inputs } = setup();
    await controller.start({ title: "", sources: ONE_TRACK });
    const release = journal.holdCommits();
    log.length = 0;

    inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(log).toEqual([]);
    expect(controller.getSnapshot().localSeconds).toBe(0);

    release();
    await settle();
    expect(log).toEqual(["journal.append 0#0 96000", "uploader.wake"]);
    expect(controller.getSnapshot().localSeconds).toBe(1);
  });

  it("keeps chunks captured while the session is being created, in order", async () => {
    const { controller, api, inputs, journal } = setup();
    const created = deferred();
    const createSession = api.createSession.bind(api);
    api.createSession = async (body) => {
      await created.promise;
      return createSession(body);
    };

    const starting = controller.start({ title: "", sources: ONE_TRACK });
    await settle();
    inputs.opened[0]!.chunk(100);
    inputs.opened[0]!.chunk(200);
    created.resolve();
    await starting;
    await settle();

    expect(journal.chunks.map((chunk) => [chunk.seq, chunk.byteLength])).toEqual([
      [0, 100],
      [1, 200],
    ]);
  });

  it("shows the server behind while uploads lag and catches up as they are acknowledged", async () => {
    const { controller, journal, uploader, inputs } = setup();
    await controller.start({ title: "", sources: ONE_TRACK });
    for (let i = 0; i < 3; i++) inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(controller.getSnapshot()).toMatchObject({ localSeconds: 3, serverSeconds: 0 });

    journal.markUploaded("s1", 0, SECOND);
    journal.markUploaded("s1", 0, SECOND);
    uploader.report({ sessionId: "s1", track: 0, serverCommittedThrough: 1, pendingChunks: 1 });
    await settle();

    expect(controller.getSnapshot()).toMatchObject({ localSeconds: 3, serverSeconds: 2 });
  });

  it("releases the inputs and creates nothing in the journal when the server refuses the session", async () => {
    const { controller, api, inputs, heartbeat, journal } = setup();
    api.createError = new ApiError(401, "This device is not registered.");

    await controller.start({ title: "", sources: ONE_TRACK });

    expect(controller.getSnapshot()).toMatchObject({ phase: "idle", error: "This device is not registered." });
    expect(inputs.opened[0]!.stopped).toBe(true);
    expect(heartbeat.running).toBeNull();
    expect(journal.sessionsById.size).toBe(0);
  });

  it("does not create a session when the microphone cannot be opened", async () => {
    const { controller, inputs, log } = setup();
    inputs.failWith = new Error("Permission denied");

    await controller.start({ title: "", sources: ONE_TRACK });

    expect(controller.getSnapshot()).toMatchObject({ phase: "idle", error: "Permission denied" });
    expect(log.some((line) => line.startsWith("api.createSession"))).toBe(false);
  });

  it("records a new session on this device alone when the server cannot be reached, and keeps it alive once the server has it", async () => {
    const { controller, api, log, inputs, journal, heartbeat } = setup();
    api.createError = new ApiError(0, "The server could not be reached. Check the connection and try again.");

    await controller.start({ title: "", sources: ONE_TRACK });

    expect(log).toEqual([
      "capture.open microphone",
      "api.createSession s1 ",
      "journal.startSession s1 (not on the server)",
      "journal.declareTrack s1 0 48000",
      "storage.persist",
    ]);
    expect(controller.getSnapshot()).toMatchObject({
      phase: "recording",
      sessionId: "s1",
      title: "Untitled recording",
      serverUnreachable: true,
      deviceOnly: true,
      error: null,
    });
    inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(journal.chunks.map((chunk) => [chunk.sessionId, chunk.seq])).toEqual([["s1", 0]]);
    // No keepalive for a session the server does not have: it would be refused for good.
    expect(heartbeat.running).toBeNull();

    // Another tab's uploader created it and uploaded the chunk: this tab reads it in the journal
    // as the next chunk is saved, without any progress of its own.
    await journal.markOnServer("s1");
    journal.markUploaded("s1", 0, SECOND);
    inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(heartbeat.running).toBe("s1");
    expect(controller.getSnapshot()).toMatchObject({ serverUnreachable: false, deviceOnly: false, localSeconds: 2, serverSeconds: 1 });
  });

  it("shows a take whose session the server lost as on this device only until the uploader has created it anew, keeping it alive throughout", async () => {
    const { controller, inputs, journal, heartbeat } = setup();
    await controller.start({ title: "", sources: ONE_TRACK });
    inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(controller.getSnapshot()).toMatchObject({ deviceOnly: false });

    // The uploader found the server without the session and queued everything again.
    await journal.markNotOnServer("s1");
    inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", deviceOnly: true, localSeconds: 2, serverSeconds: 0 });
    expect(heartbeat.running).toBe("s1");

    await journal.markOnServer("s1");
    inputs.opened[0]!.chunk(SECOND);
    await settle();
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", deviceOnly: false, localSeconds: 3 });
    expect(heartbeat.running).toBe("s1");
  });

  it("relays input levels while recording", async () => {
    const { controller, inputs } = setup();
    const levels: Array<[number, number]> = [];
    controller.onLevel((track, level) => levels.push([track, level.peak]));
    await controller.start({ title: "", sources: TWO_TRACKS });

    inputs.opened[1]!.level({ peak: 0.5, rms: 0.1 });

    expect(levels).toEqual([[1, 0.5]]);
  });
});

describe("RecorderController when the device cannot save audio", () => {
  it.each([
    {
      cause: "storage is full",
      error: new DOMException("The quota has been exceeded.", "QuotaExceededError"),
      haltReason: "storage-full",
      message: "Storage on this device is full, so recording stopped.",
      // A full disk does not recover by retrying.
      attempts: 1,
    },
    {
      cause: "saving keeps failing for another reason",
      error: new Error("The transaction was aborted."),
      haltReason: "storage-failed",
      message: "Audio could not be saved on this device, so recording stopped: The transaction was aborted.",
      attempts: 3,
    },
  ])("stops recording cleanly when $cause, keeps what was saved, finishes nothing and says why", async (example) => {
    const { controller, journal, inputs, heartbeat, finisher, phases, log } = setup();
    await controller.start({ title: "", sources: TWO_TRACKS });
    inputs.opened[0]!.chunk(SECOND);
    await settle();

    journal.appendError = example.error;
    inputs.opened[0]!.chunk(SECOND);
    await settle();

    expect(controller.getSnapshot()).toMatchObject({ phase: "halted", haltReason: example.haltReason, error: example.message, localSeconds: 1 });
    expect(phases).toEqual(["starting", "recording", "halted"]);
    expect(log.filter((entry) => entry.startsWith("journal.append failed"))).toHaveLength(example.attempts);
    expect(inputs.opened.every((capture) => capture.stopped)).toBe(true);
    expect(heartbeat.running).toBeNull();
    expect(journal.sessionsById.get("s1")?.state).toBe("stopped");
    expect(journal.chunks).toHaveLength(1);
    expect(finisher.calls).toEqual([]);
    expect(controller.hasUnsavedWork()).toBe(false);
  });
});

describe("RecorderController.stop", () => {
  it("flushes the last partial chunk into the journal, stops the heartbeat, marks the journal stopped, then finishes", async () => {
    const { controller, log, inputs, phases } = setup();
    await controller.start({ title: "", sources: ONE_TRACK });
    inputs.opened[0]!.chunk(SECOND);
    inputs.opened[0]!.flushBytes = 4_800;
    await settle();
    log.length = 0;

    await controller.stop();

    expect(log).toEqual([
      "capture.stop",
      "journal.append 0#1 4800",
      "uploader.wake",
      "heartbeat.stop",
      "journal.setState stopped",
      "finishRecording s1",
    ]);
    expect(phases).toEqual(["starting", "recording", "stopping", "finishing", "finished"]);
  });

  it("shows the finished files, how long the server keeps them, and counts everything as on the server", async () => {
    const { controller, finisher } = setup();
    const file = { track: 0, sizeBytes: 768_044, sha256: "x", durationSeconds: 8, url: "/audio/0", createdAt: "2025-01-01T12:00:00.000Z" };
    const keptUntil = "2025-01-02T12:00:08.000Z";
    finisher.answers = [async () => finishResponse("s1", { files: [file], keptUntil })];
    await controller.start({ title: "", sources: ONE_TRACK });

    await controller.stop();

    expect(controller.getSnapshot()).toMatchObject({ phase: "finished", files: [file], keptUntil, localSeconds: 8, serverSeconds: 8 });
    expect(controller.hasUnsavedWork()).toBe(false);
  });

  it("asks the user when chunks are lost and finishes with allowGaps only after they accept", async () => {
    const { controller, finisher } = setup();
    finisher.answers = [
      async () => {
        throw new MissingChunksError({ "0": [3, 4], "1": [] });
      },
      async () => finishResponse("s1"),
    ];
    await controller.start({ title: "", sources: ONE_TRACK });

    await controller.stop();
    expect(controller.getSnapshot()).toMatchObject({ phase: "confirm-gaps", missing: { "0": [3, 4], "1": [] } });
    expect(finisher.calls).toEqual([{ sessionId: "s1" }]);

    await controller.acceptGaps();

    expect(finisher.calls).toEqual([{ sessionId: "s1" }, { sessionId: "s1", allowGaps: true }]);
    expect(controller.getSnapshot().phase).toBe("finished");
  });

  it("leaves the session open when the user declines the loss", async () => {
    const { controller, finisher } = setup();
    finisher.answers = [
      async () => {
        throw new MissingChunksError({ "0": [1], "1": [] });
      },
    ];
    await controller.start({ title: "", sources: ONE_TRACK });
    await controller.stop();

    controller.keepSessionOpen();

    expect(controller.getSnapshot().phase).toBe("idle");
    expect(finisher.calls).toHaveLength(1);
  });

  it("lets a slow finish carry on in the background while a new recording starts", async () => {
    const { controller, finisher, ids } = setup();
    const slow = deferred<ReturnType<typeof finishResponse>>();
    finisher.answers = [() => slow.promise, async () => finishResponse("s2")];
    await controller.start({ title: "", sources: ONE_TRACK });
    const stopping = controller.stop();
    await settle();
    expect(controller.getSnapshot().phase).toBe("finishing");

    controller.finishInBackground();
    ids.next = "s2";
    await controller.start({ title: "", sources: ONE_TRACK });
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", sessionId: "s2" });

    slow.resolve(finishResponse("s1"));
    await stopping;
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", sessionId: "s2" });
  });

  it("keeps the audio and offers a retry when finishing fails otherwise", async () => {
    const { controller, finisher } = setup();
    finisher.answers = [
      async () => {
        throw new Error("The server is unavailable right now (503).");
      },
      async () => finishResponse("s1"),
    ];
    await controller.start({ title: "", sources: ONE_TRACK });
    await controller.stop();
    expect(controller.getSnapshot()).toMatchObject({ phase: "finish-failed", error: "The server is unavailable right now (503)." });

    await controller.retryFinish();

    expect(controller.getSnapshot().phase).toBe("finished");
  });
});

describe("RecorderController.resume", () => {
  it("resumes on the server, keeps the session's tracks and rates, and continues after the server's highest seq", async () => {
    const { controller, api, log, inputs, journal } = setup();
    api.details.set(
      "s9",
      detail("s9", {
        title: "Interview",
        status: "incomplete",
        tracks: [
          trackSummary(0, { sampleRate: 44_100, highestSeq: 11, committedThrough: 11, bytes: 12 * 88_200 }),
          trackSummary(1, { sampleRate: 44_100, highestSeq: 10, committedThrough: 10, bytes: 11 * 88_200 }),
        ],
      }),
    );

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(log).toEqual([
      "api.resumeSession s9",
      "api.getSession s9",
      "capture.open microphone 44100",
      "capture.open microphone 44100",
      "journal.startSession s9",
      "journal.declareTrack s9 0 44100",
      "journal.ensureNextSeq 0 12",
      "journal.declareTrack s9 1 44100",
      "journal.ensureNextSeq 1 11",
      "journal.setState recording",
      "heartbeat.start s9",
      "storage.persist",
    ]);
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", title: "Interview", localSeconds: 12, serverSeconds: 12 });

    inputs.opened[0]!.chunk(88_200);
    await settle();
    expect(journal.chunks.map((chunk) => [chunk.track, chunk.seq])).toEqual([[0, 12]]);
    expect(controller.getSnapshot()).toMatchObject({ localSeconds: 13, serverSeconds: 12 });
  });

  /** A session this device journaled before a crash: two 1 s chunks on track 0 at 44.1 kHz, one of them uploaded. */
  async function journaledSession(journal: ReturnType<typeof setup>["journal"]) {
    await journal.startSession({ sessionId: "s9", title: "Field notes", kind: "recording" });
    await journal.declareTrack("s9", { track: 0, label: "Microphone", sampleRate: 44_100, channels: 1 });
    await journal.append("s9", 0, new ArrayBuffer(88_200));
    await journal.append("s9", 0, new ArrayBuffer(88_200));
    journal.markUploaded("s9", 0, 88_200);
  }

  it("continues from this device's journal when the server cannot be reached, and says so until the server answers", async () => {
    const { controller, api, log, inputs, journal, uploader } = setup();
    await journaledSession(journal);
    api.resumeError = new ApiError(0, "The server could not be reached. Check the connection and try again.");
    log.length = 0;

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(log).toEqual([
      "api.resumeSession s9",
      "capture.open microphone 44100",
      "journal.startSession s9",
      "journal.declareTrack s9 0 44100",
      "journal.ensureNextSeq 0 0",
      "journal.setState recording",
      "heartbeat.start s9",
      "storage.persist",
    ]);
    expect(controller.getSnapshot()).toMatchObject({
      phase: "recording",
      title: "Field notes",
      localSeconds: 2,
      serverSeconds: 1,
      serverUnreachable: true,
      // The server has this session; it just cannot be reached.
      deviceOnly: false,
      error: null,
    });

    inputs.opened[0]!.chunk(88_200);
    await settle();
    // After everything the journal gave out, so no seq is used twice.
    expect(journal.chunks.map((chunk) => [chunk.track, chunk.seq])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    expect(controller.getSnapshot()).toMatchObject({ localSeconds: 3, serverUnreachable: true });
    // Progress that brings no new acknowledgement (a reconcile) does not say the server is back.
    uploader.report({ sessionId: "s9", track: 0, serverCommittedThrough: 0, pendingChunks: 2 });
    await settle();
    expect(controller.getSnapshot().serverUnreachable).toBe(true);

    journal.markUploaded("s9", 0, 88_200);
    uploader.report({ sessionId: "s9", track: 0, serverCommittedThrough: 1, pendingChunks: 1 });
    await settle();
    expect(controller.getSnapshot().serverUnreachable).toBe(false);
  });

  it("creates on the server a session this device recorded before it could, then resumes it there", async () => {
    const { controller, log, journal } = setup();
    await journaledSession(journal);
    journal.sessionsById.get("s9")!.onServer = false;
    log.length = 0;

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(log.slice(0, 4)).toEqual(["api.createSession s9 Field notes", "journal.markOnServer s9", "api.resumeSession s9", "api.getSession s9"]);
    expect(log).toContain("heartbeat.start s9");
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", serverUnreachable: false, deviceOnly: false });
    expect((await journal.session("s9"))?.onServer).toBeUndefined();
  });

  it("creates anew a session the server lost and resumes it there, with everything this device holds queued again", async () => {
    const { controller, api, log, journal, heartbeat } = setup();
    await journaledSession(journal);
    api.resumeError = new ApiError(404, "Session not found");
    const createSession = api.createSession.bind(api);
    api.createSession = async (body) => {
      api.resumeError = null; // known to the server from now on
      return createSession(body);
    };
    log.length = 0;

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(log.slice(0, 6)).toEqual([
      "api.resumeSession s9",
      "journal.markNotOnServer s9",
      "api.createSession s9 Field notes",
      "journal.markOnServer s9",
      "api.resumeSession s9",
      "api.getSession s9",
    ]);
    expect(heartbeat.running).toBe("s9");
    // Both chunks are on this device only again; the uploader sends them.
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", localSeconds: 2, serverSeconds: 0, deviceOnly: false });
  });

  it("resumes a session the server has never had while it still cannot be reached, as held by this device only", async () => {
    const { controller, api, journal, heartbeat, inputs } = setup();
    await journaledSession(journal);
    journal.sessionsById.get("s9")!.onServer = false;
    api.createError = new ApiError(0, "The server could not be reached. Check the connection and try again.");

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", serverUnreachable: true, deviceOnly: true });
    expect(heartbeat.running).toBeNull();
    // The uploader got it onto the server: the journal says so, and the next chunk's save reads it.
    await journal.markOnServer("s9");
    inputs.opened[0]!.chunk(88_200);
    await settle();
    expect(controller.getSnapshot().deviceOnly).toBe(false);
    expect(heartbeat.running).toBe("s9");
  });

  it("does not record a session without the server when this device holds nothing of it", async () => {
    const { controller, api, log } = setup();
    api.resumeError = new ApiError(0, "The server could not be reached. Check the connection and try again.");

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(log.some((line) => line.startsWith("capture.open"))).toBe(false);
    expect(controller.getSnapshot()).toMatchObject({ phase: "idle", error: expect.stringMatching(/could not be reached/) });
  });

  it("does not record a session the server refuses to resume, even one this device holds", async () => {
    const { controller, api, log, journal } = setup();
    await journaledSession(journal);
    api.resumeError = new ApiError(409, "Session is completed and cannot be resumed");

    await controller.resume("s9", { sources: ONE_TRACK });

    expect(log.some((line) => line.startsWith("capture.open"))).toBe(false);
    expect(controller.getSnapshot()).toMatchObject({ phase: "idle", error: "Session is completed and cannot be resumed" });
  });

  it("says another tab records the session, and takes it over on request", async () => {
    const locks = new FakeLocks();
    locks.holdElsewhere("tidemark-record:s9");
    const { controller, log } = setup({ locks });

    await controller.resume("s9", { sources: ONE_TRACK });
    expect(controller.getSnapshot()).toMatchObject({ phase: "locked", sessionId: "s9", lockedAction: "resume" });
    expect(log).toEqual([]);

    await controller.takeOver();

    expect(controller.getSnapshot().phase).toBe("recording");
    expect(log).toContain("api.resumeSession s9");
  });

  it("stops capturing cleanly, keeping the last partial chunk, when another tab takes over", async () => {
    const locks = new FakeLocks();
    const { controller, log, inputs, heartbeat, finisher } = setup({ locks });
    await controller.start({ title: "", sources: ONE_TRACK });
    inputs.opened[0]!.flushBytes = 2_000;
    log.length = 0;

    locks.stealElsewhere("tidemark-record:s1");
    await settle();

    expect(controller.getSnapshot()).toMatchObject({ phase: "halted", haltReason: "taken-over", lockedAction: "resume" });
    expect(log).toEqual(["capture.stop", "journal.append 0#0 2000", "uploader.wake", "heartbeat.stop"]);
    expect(heartbeat.running).toBeNull();
    expect(finisher.calls).toEqual([]);
  });
});

describe("RecorderController.markComplete", () => {
  it("finishes a recovered session through finishRecording, which uploads what is left first", async () => {
    const { controller, journal, finisher, log } = setup();
    await journal.startSession({ sessionId: "s5", title: "Lost tab", kind: "recording" });
    await journal.declareTrack("s5", { track: 0, label: "Microphone", sampleRate: 48_000, channels: 1 });
    await journal.append("s5", 0, new ArrayBuffer(SECOND));
    log.length = 0;

    await controller.markComplete("s5");

    expect(finisher.calls).toEqual([{ sessionId: "s5" }]);
    expect(log).toEqual(["finishRecording s5"]);
    expect(controller.getSnapshot()).toMatchObject({ phase: "finished", sessionId: "s5", title: "" });
  });

  it("refuses to start anything else while a recording runs", async () => {
    const { controller, finisher } = setup();
    await controller.start({ title: "", sources: ONE_TRACK });

    await controller.markComplete("other");

    expect(finisher.calls).toEqual([]);
    expect(controller.getSnapshot()).toMatchObject({ phase: "recording", error: "Stop the current recording first." });
  });
});

describe("RecorderController inputs", () => {
  it("keeps recording the other track when one input ends, and halts without finishing when all have", async () => {
    const { controller, inputs, heartbeat, finisher, log } = setup();
    await controller.start({ title: "", sources: TWO_TRACKS });

    inputs.opened[1]!.end();
    await settle();
    expect(controller.getSnapshot().phase).toBe("recording");
    expect(controller.getSnapshot().tracks.map((track) => track.capturing)).toEqual([true, false]);

    inputs.opened[0]!.end();
    await settle();
    expect(controller.getSnapshot()).toMatchObject({ phase: "halted", haltReason: "input-ended" });
    expect(heartbeat.running).toBeNull();
    expect(log).toContain("journal.setState stopped");
    expect(finisher.calls).toEqual([]);
  });
});
