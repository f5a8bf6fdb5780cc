/** A status object that is replaced, never changed, on every update, and the listeners told of it. */
export class StatusFeed<T extends object> {
  #current: T;
  readonly #listeners = new Set<(status: T) => void>();

  constructor(initial: T) {
    this.#current = initial;
  }

  get current(): T {
    return this.#current;
  }

  update(patch: Partial<T>): void {
    this.#current = { ...this.#current, ...patch };
    for (const listener of this.#listeners) {
      try {
        listener(this.#current);
      } catch {
        // A faulty listener must not stop the work being reported on.
      }
    }
  }

  subscribe(listener: (status: T) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  clear(): void {
    this.#listeners.clear();
  }
}
