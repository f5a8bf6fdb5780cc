/**
 * One tab at a time may record a session: two tabs appending to the same track would
 * interleave their audio. The Web Locks API gives a lock per session that the browser frees
 * by itself when the holding tab closes or crashes, so a crash never leaves a session stuck.
 */

/** The part of `navigator.locks` this module uses (tests pass a fake). */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; steal?: boolean }, callback: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
}

export interface HeldRecordingLock {
  /** Gives the lock up (the recording stopped). */
  release(): void;
  /** Called once if another tab takes the lock over; the holder must stop capturing. */
  onLost(listener: () => void): void;
}

export type RecordingLockResult = { status: "held"; lock: HeldRecordingLock } | { status: "busy" };

export function recordingLockName(sessionId: string): string {
  return `tidemark-record:${sessionId}`;
}

/**
 * Takes the session's lock if no other tab holds it (`steal: false`), or takes it away from
 * the tab that holds it (`steal: true`, the "Take over" button). Without Web Locks (old
 * browsers) the lock is always granted: recording still works, only the guard is missing.
 */
export function acquireRecordingLock(
  locks: LockManagerLike | undefined,
  sessionId: string,
  { steal = false }: { steal?: boolean } = {},
): Promise<RecordingLockResult> {
  if (!locks) return Promise.resolve({ status: "held", lock: { release() {}, onLost() {} } });

  return new Promise<RecordingLockResult>((resolve, reject) => {
    let granted = false;
    let released = false;
    let lost = false;
    const lostListeners: Array<() => void> = [];
    let release!: () => void;
    const releasedByUs = new Promise<void>((done) => (release = done));

    const handle: HeldRecordingLock = {
      release() {
        released = true;
        release();
      },
      onLost(listener) {
        if (lost) listener();
        else lostListeners.push(listener);
      },
    };

    const callback = async (lock: unknown) => {
      if (lock === null) {
        resolve({ status: "busy" });
        return;
      }
      granted = true;
      resolve({ status: "held", lock: handle });
      // The lock is held for as long as this promise is pending.
      await releasedByUs;
    };

    const options = steal ? { steal: true } : { ifAvailable: true };
    locks.request(recordingLockName(sessionId), options, callback).catch((error: unknown) => {
      if (!granted) {
        reject(error);
        return;
      }
      // A held lock's request rejects (AbortError) when another tab steals it.
      if (released || lost) return;
      lost = true;
      release();
      for (const listener of lostListeners.splice(0)) listener();
    });
  });
}
