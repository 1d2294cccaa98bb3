import type { Json, PublishOptions, PublishResult } from "@switchboard/client";
import { useCallback } from "react";
import { useClient } from "./context.js";

export type Publish = (data: Json, options?: PublishOptions) => Promise<PublishResult>;

/**
 * A stable function that publishes to `channel` through the provider's client. Needs no
 * subscription; subscribers on this page (useChannel) see the message at once as pending.
 */
export function usePublish(channel: string): Publish {
  const client = useClient();
  return useCallback<Publish>((data, options) => client.publish(channel, data, options), [client, channel]);
}
