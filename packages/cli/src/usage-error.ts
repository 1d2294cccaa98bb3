/** A bad flag or config: the CLI prints one line naming the key and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
