/**
 * A random id for things made in the browser (chapters, voice presets). `crypto.randomUUID`
 * exists only on secure pages, so a page served over plain http on a LAN falls back to
 * `getRandomValues`, which exists everywhere.
 */
export function newLocalId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
