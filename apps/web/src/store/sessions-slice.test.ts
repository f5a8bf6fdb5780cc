import { ApiError, type RecordingApi } from "@tidemark/client";
import type { Session, SessionStatus, TidemarkEvent } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { session } from "./session-fixtures.ts";
import { createTestStore, fakeApi as fakeRecordingApi } from "./test-store.ts";

let nextEventId = 1;

function later(base: Session, seconds: number, status: SessionStatus): Session {
  const updatedAt = new Date(Date.parse(base.updatedAt) + seconds * 1000).toISOString();
  return { ...base, status, updatedAt, completedAt: status === "completed" ? updatedAt : null };
}

function created(s: Session): TidemarkEvent {
  return { id: nextEventId++, at: s.updatedAt, type: "session.created", session: s };
}

function statusChanged(from: SessionStatus, s: Session): TidemarkEvent {
  return { id: nextEventId++, at: s.updatedAt, type: "session.status_changed", from, session: s };
}

function deleted(s: Session): TidemarkEvent {
  return { id: nextEventId++, at: s.updatedAt, type: "session.deleted", sessionId: s.id };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An api whose every method fails unless the test provides it. */
function fakeApi(overrides: Partial<RecordingApi> = {}): RecordingApi {
  return fakeRecordingApi(overrides);
}

/** A store over the given api, everything else faked. */
function createAppStore({ api }: { api: RecordingApi }) {
  return createTestStore({ api }).store;
}

const titles = (sessions: Session[]) => sessions.map((s) => s.title);

describe("sessions slice", () => {
  it("loads the list from the injected api and orders it newest first", async () => {
    const store = createAppStore({
      api: fakeApi({ listSessions: async () => [session(1), session(3), session(2)] }),
    });

    await store.getState().load();

    const state = store.getState();
    expect(titles(state.sessions)).toEqual(["Session 3", "Session 2", "Session 1"]);
    expect(state.loading).toBe(false);
    expect(state.loaded).toBe(true);
    expect(state.error).toBeNull();
  });

  it("shows the server's message when the list cannot be loaded", async () => {
    const store = createAppStore({
      api: fakeApi({ listSessions: () => Promise.reject(new ApiError(500, "The database is unavailable.")) }),
    });

    await store.getState().load();

    expect(store.getState().error).toBe("The database is unavailable.");
    expect(store.getState().loading).toBe(false);
    expect(store.getState().loaded).toBe(false);
  });

  it("puts a created session at its place by creation time", async () => {
    const store = createAppStore({ api: fakeApi({ listSessions: async () => [session(1), session(5)] }) });
    await store.getState().load();

    store.getState().applyEvent(created(session(9)));
    store.getState().applyEvent(created(session(3)));

    expect(titles(store.getState().sessions)).toEqual(["Session 9", "Session 5", "Session 3", "Session 1"]);
  });

  it("replaces a session whose status changed without moving it", async () => {
    const first = session(1);
    const store = createAppStore({ api: fakeApi({ listSessions: async () => [first, session(2)] }) });
    await store.getState().load();

    store.getState().applyEvent(statusChanged("active", later(first, 30, "incomplete")));

    const sessions = store.getState().sessions;
    expect(sessions.map((s) => [s.title, s.status])).toEqual([
      ["Session 2", "active"],
      ["Session 1", "incomplete"],
    ]);
  });

  it("ignores a status change older than the copy it already holds", async () => {
    const first = session(1);
    const completed = later(first, 60, "completed");
    const store = createAppStore({ api: fakeApi({ listSessions: async () => [completed] }) });
    await store.getState().load();

    store.getState().applyEvent(statusChanged("active", later(first, 30, "incomplete")));

    expect(store.getState().sessions).toEqual([completed]);
  });

  it("removes a deleted session and ignores a deletion of one it never had", async () => {
    const gone = session(2);
    const store = createAppStore({ api: fakeApi({ listSessions: async () => [session(1), gone] }) });
    await store.getState().load();

    store.getState().applyEvent(deleted(gone));
    const afterDeletion = store.getState().sessions;
    store.getState().applyEvent(deleted(session(7)));

    expect(titles(afterDeletion)).toEqual(["Session 1"]);
    expect(store.getState().sessions).toBe(afterDeletion);
  });

  it("reloads the list when told to resync", async () => {
    let calls = 0;
    const store = createAppStore({
      api: fakeApi({
        listSessions: async () => {
          calls += 1;
          return calls === 1 ? [session(1)] : [session(1), session(2)];
        },
      }),
    });
    await store.getState().load();

    store.getState().applyEvent({ type: "resync", lastEventId: 120 });
    await expect.poll(() => titles(store.getState().sessions)).toEqual(["Session 2", "Session 1"]);
    expect(calls).toBe(2);
  });

  it("replays events that arrive during a load on top of the fetched list", async () => {
    const fetch = deferred<Session[]>();
    const first = session(1);
    const store = createAppStore({ api: fakeApi({ listSessions: () => fetch.promise }) });

    const loading = store.getState().load();
    expect(store.getState().loading).toBe(true);
    // The snapshot below was read before these changes happened.
    store.getState().applyEvent(statusChanged("active", later(first, 30, "incomplete")));
    store.getState().applyEvent(created(session(4)));
    fetch.resolve([first, session(2)]);
    await loading;

    expect(store.getState().sessions.map((s) => [s.title, s.status])).toEqual([
      ["Session 4", "active"],
      ["Session 2", "active"],
      ["Session 1", "incomplete"],
    ]);
  });

  it("keeps the answer of the newest load when an older one finishes last", async () => {
    const older = deferred<Session[]>();
    const newer = deferred<Session[]>();
    const answers = [older, newer];
    const store = createAppStore({
      api: fakeApi({ listSessions: () => answers.shift()!.promise }),
    });

    const first = store.getState().load();
    const second = store.getState().load();
    newer.resolve([session(1), session(2)]);
    await second;
    older.resolve([session(1)]);
    await first;

    expect(titles(store.getState().sessions)).toEqual(["Session 2", "Session 1"]);
    expect(store.getState().loading).toBe(false);
  });

  it("creates a session with a trimmed title, or none when blank, and lists it", async () => {
    const bodies: unknown[] = [];
    const store = createAppStore({
      api: fakeApi({
        createSession: async (body) => {
          bodies.push(body);
          return session(bodies.length, { kind: body.kind, title: body.title ?? "Untitled synthesis" });
        },
      }),
    });

    const named = await store.getState().create("recording", "  Episode 12  ");
    const unnamed = await store.getState().create("synthesis", "   ");

    expect(bodies).toEqual([
      { kind: "recording", title: "Episode 12" },
      { kind: "synthesis", title: undefined },
    ]);
    expect(named?.title).toBe("Episode 12");
    expect(unnamed?.kind).toBe("synthesis");
    expect(titles(store.getState().sessions)).toEqual(["Untitled synthesis", "Episode 12"]);
    expect(store.getState().creating).toBe(false);
  });

  it("keeps the session created once when its live event also arrives", async () => {
    const fresh = session(3);
    const store = createAppStore({ api: fakeApi({ createSession: async () => fresh }) });

    await store.getState().create("recording", "");
    store.getState().applyEvent(created(fresh));

    expect(store.getState().sessions).toEqual([fresh]);
  });

  it("marks a session busy while it resumes and lists the server's answer", async () => {
    const stalled = session(1, { status: "incomplete" });
    const answer = deferred<Session>();
    const store = createAppStore({
      api: fakeApi({ listSessions: async () => [stalled], resumeSession: () => answer.promise }),
    });
    await store.getState().load();

    const resuming = store.getState().resume(stalled.id);
    expect(store.getState().busySessionIds).toEqual([stalled.id]);
    answer.resolve(later(stalled, 5, "active"));
    await resuming;

    expect(store.getState().busySessionIds).toEqual([]);
    expect(store.getState().sessions[0]?.status).toBe("active");
  });

  it("shows the server's message when finishing is refused and frees the session", async () => {
    const done = session(1, { status: "completed" });
    const store = createAppStore({
      api: fakeApi({
        listSessions: async () => [done],
        finishSession: () => Promise.reject(new ApiError(409, "This session is already completed.")),
      }),
    });
    await store.getState().load();

    await store.getState().finish(done.id);

    expect(store.getState().error).toBe("This session is already completed.");
    expect(store.getState().busySessionIds).toEqual([]);
    expect(store.getState().sessions).toEqual([done]);

    store.getState().dismissError();
    expect(store.getState().error).toBeNull();
  });

  it("tracks the live event stream's status", () => {
    const store = createAppStore({ api: fakeApi() });
    expect(store.getState().liveStatus).toBe("closed");

    store.getState().setLiveStatus("open");

    expect(store.getState().liveStatus).toBe("open");
  });

  it("remembers the session the user works in", () => {
    const store = createAppStore({ api: fakeApi() });
    expect(store.getState().currentSessionId).toBeNull();

    store.getState().setCurrentSession(session(4).id);

    expect(store.getState().currentSessionId).toBe(session(4).id);
  });
});
