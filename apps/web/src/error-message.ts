/** A sentence fit for the error alert, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message !== "") return error.message;
  return "Something went wrong. Please try again.";
}
