/** The event stream lives on the page's own origin; a page served over https needs wss. */
export function eventStreamUrl(location: Pick<Location, "protocol" | "host">): string {
  const protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return `${protocol}//${location.host}/api/ws`;
}
