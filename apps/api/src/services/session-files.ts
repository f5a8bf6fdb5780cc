import { rm } from "node:fs/promises";
import path from "node:path";

/** Where a session's audio lives on disk: one directory per session under the data directory. */
export class SessionFiles {
  constructor(private readonly dataDir: string) {}

  dirFor(sessionId: string): string {
    return path.join(this.dataDir, "sessions", sessionId);
  }

  /** Removes a session's directory; a directory that is already gone is not an error. */
  async remove(sessionId: string): Promise<void> {
    await rm(this.dirFor(sessionId), { recursive: true, force: true });
  }
}
