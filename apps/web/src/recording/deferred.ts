/** A promise with its resolve and reject functions, for code that settles it from elsewhere. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Observed here so one rejected before anybody listens is not an unhandled rejection;
  // whoever awaits it later still sees the failure.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
