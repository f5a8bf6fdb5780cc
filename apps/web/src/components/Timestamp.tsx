import { formatTimestamp } from "../format-time.ts";

export function Timestamp({ value }: { value: string }) {
  return (
    <time dateTime={value} title={value}>
      {formatTimestamp(value)}
    </time>
  );
}
