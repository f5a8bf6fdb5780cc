import type { SessionDetail } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { deferred, detail, trackSummary } from "../recording/controller-fakes.ts";
import { createTestStore, fakeApi } from "./test-store.ts";

describe("history slice", () => {
  it("loads a session's tracks and files on request", async () => {
    const answer = detail("s1", { tracks: [trackSummary(0, { bytes: 960_000, durationSeconds: 10 })] });
    const { store } = createTestStore({ api: fakeApi({ getSession: async () => answer }) });

    await store.getState().loadSessionDetail("s1");

    expect(store.getState().sessionDetails["s1"]).toEqual({ status: "loaded", detail: answer });
  });

  it("keeps the previous detail on screen while reloading, and shows a failure beside it", async () => {
    const first = detail("s1");
    let calls = 0;
    const second = deferred<SessionDetail>();
    const { store } = createTestStore({
      api: fakeApi({ getSession: () => (++calls === 1 ? Promise.resolve(first) : second.promise) }),
    });
    await store.getState().loadSessionDetail("s1");

    const reloading = store.getState().loadSessionDetail("s1");
    expect(store.getState().sessionDetails["s1"]).toEqual({ status: "loading", detail: first });
    second.reject(new Error("The server is unavailable right now (503)."));
    await reloading;

    expect(store.getState().sessionDetails["s1"]).toEqual({
      status: "failed",
      detail: first,
      error: "The server is unavailable right now (503).",
    });
  });

  it("ignores an answer that a newer request has overtaken", async () => {
    const slow = deferred<SessionDetail>();
    const fresh = detail("s1", { status: "completed" });
    let calls = 0;
    const { store } = createTestStore({
      api: fakeApi({ getSession: () => (++calls === 1 ? slow.promise : Promise.resolve(fresh)) }),
    });

    const first = store.getState().loadSessionDetail("s1");
    await store.getState().loadSessionDetail("s1");
    slow.resolve(detail("s1", { status: "active" }));
    await first;

    expect(store.getState().sessionDetails["s1"]).toEqual({ status: "loaded", detail: fresh });
  });
});
