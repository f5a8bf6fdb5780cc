import { Timestamp } from "./Timestamp.tsx";

/**
 * How long the server keeps a session. The server is where audio is made safe, not an archive:
 * sessions left alone are deleted after a while, and the finished files with them.
 */
export function ServerRetention({ keptUntil, hasFiles }: { keptUntil: string; hasFiles: boolean }) {
  return (
    <p className="muted" data-testid="server-retention">
      {hasFiles ? "The server keeps these files until " : "The server keeps this session until "}
      <Timestamp value={keptUntil} />
      {hasFiles ? ". Download them to keep them." : ", or longer while it is in use."}
    </p>
  );
}
