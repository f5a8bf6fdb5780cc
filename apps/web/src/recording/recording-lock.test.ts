import { describe, expect, it } from "vitest";
import { acquireRecordingLock, type LockManagerLike } from "./recording-lock.ts";

/** An in-memory Web Locks manager with exclusive locks, `ifAvailable` and `steal`, like the browser's. */
class FakeLockManager implements LockManagerLike {
  private held = new Map<string, { abort: (error: Error) => void }>();

  request(name: string, options: { ifAvailable?: boolean; steal?: boolean }, callback: (lock: unknown) => unknown) {
    const current = this.held.get(name);
    if (current && options.ifAvailable) return Promise.resolve(callback(null));
    if (current && !options.steal) return Promise.reject(new Error("The fake only supports ifAvailable or steal."));
    if (current) {
      this.held.delete(name);
      current.abort(new DOMException("The lock was stolen.", "AbortError"));
    }
    return new Promise((resolve, reject) => {
      const entry = { abort: reject };
      this.held.set(name, entry);
      Promise.resolve(callback({ name })).then(
        (value) => {
          if (this.held.get(name) === entry) this.held.delete(name);
          resolve(value);
        },
        (error: unknown) => {
          if (this.held.get(name) === entry) this.held.delete(name);
          reject(error);
        },
      );
    });
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }
}

describe("acquireRecordingLock", () => {
  it("holds the session's lock until it is released", async () => {
    const locks = new FakeLockManager();
    const result = await acquireRecordingLock(locks, "s1");

    expect(result.status).toBe("held");
    expect(locks.isHeld("tidemark-record:s1")).toBe(true);
    if (result.status === "held") result.lock.release();
    await expect.poll(() => locks.isHeld("tidemark-record:s1")).toBe(false);
  });

  it("answers busy when another tab records the same session, and not for another session", async () => {
    const locks = new FakeLockManager();
    await acquireRecordingLock(locks, "s1");

    expect((await acquireRecordingLock(locks, "s1")).status).toBe("busy");
    expect((await acquireRecordingLock(locks, "s2")).status).toBe("held");
  });

  it("takes the lock over and tells the tab that lost it, once", async () => {
    const locks = new FakeLockManager();
    const first = await acquireRecordingLock(locks, "s1");
    if (first.status !== "held") throw new Error("expected the first tab to hold the lock");
    let lostCalls = 0;
    first.lock.onLost(() => (lostCalls += 1));

    const second = await acquireRecordingLock(locks, "s1", { steal: true });

    expect(second.status).toBe("held");
    await expect.poll(() => lostCalls).toBe(1);
    // Releasing after the loss changes nothing for the new holder.
    first.lock.release();
    expect(locks.isHeld("tidemark-record:s1")).toBe(true);
    let lateCalls = 0;
    first.lock.onLost(() => (lateCalls += 1));
    expect(lateCalls).toBe(1);
  });

  it("does not report a loss after a voluntary release", async () => {
    const locks = new FakeLockManager();
    const result = await acquireRecordingLock(locks, "s1");
    if (result.status !== "held") throw new Error("expected the lock");
    let lost = false;
    result.lock.onLost(() => (lost = true));

    result.lock.release();
    await acquireRecordingLock(locks, "s1", { steal: true });

    expect(lost).toBe(false);
  });

  it("grants the lock when the browser has no Web Locks", async () => {
    expect((await acquireRecordingLock(undefined, "s1")).status).toBe("held");
  });
});
