/**
 * `window.__tidemark`: a small read-only view of the page's state, so end-to-end tests (and a
 * curious user in the console) can read it without parsing the page. Parts register a getter
 * under a name; every read of `window.__tidemark` is a fresh, frozen snapshot of all of them.
 */
const parts = new Map<string, () => Record<string, unknown>>();

export function exposeOnPage(name: string, read: () => Record<string, unknown>): () => void {
  parts.set(name, read);
  if (typeof window !== "undefined" && !Object.getOwnPropertyDescriptor(window, "__tidemark")) {
    Object.defineProperty(window, "__tidemark", {
      configurable: true,
      enumerable: false,
      get() {
        return Object.freeze(Object.assign({}, ...[...parts.values()].map((part) => part())));
      },
    });
  }
  return () => {
    parts.delete(name);
    if (parts.size === 0 && typeof window !== "undefined") delete (window as { __tidemark?: unknown }).__tidemark;
  };
}
