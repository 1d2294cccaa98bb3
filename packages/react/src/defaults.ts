/** Every limit and timing of the React bindings, in one place. */
export const reactDefaults = {
  /**
   * An idle subscription (no hook uses it any more) is ended this long after the last release.
   * React StrictMode runs every effect, its cleanup and the effect again in one commit: the
   * second run picks the subscription up again, so the hub never sees unsubscribe + subscribe.
   */
  releaseDelayMs: 0,
  /** Publications `useChannel` keeps (the oldest leave first). */
  maxMessages: 500,
  /** `usePresence` keeps the member list up to this many subscribers, above it only the count. */
  presenceMembersMax: 100,
} as const;
