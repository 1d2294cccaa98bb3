import type { SwitchboardError } from "@switchboard/client";
import { createElement, type ReactNode } from "react";

export interface SwitchboardAlertProps {
  /** The module that cannot work, e.g. "sender". */
  module: string;
  /** From resolvePageClient: not configured, or an incompatible client copy on the page. */
  error: SwitchboardError;
}

/**
 * What a module shows instead of its UI when it has no client: role="alert", so people and
 * screen readers (and tests) find it. Unstyled apart from the `sb-alert` class.
 */
export function SwitchboardAlert({ module, error }: SwitchboardAlertProps): ReactNode {
  const title =
    error.code === "INVALID_ARGUMENT"
      ? `${module}: Switchboard is not configured`
      : `${module}: Switchboard cannot start (${error.code})`;
  return createElement(
    "div",
    { className: "sb-alert", role: "alert" },
    createElement("strong", null, title),
    createElement("p", null, detailOf(error.message)),
  );
}

/** The title already says "not configured": the paragraph starts with the reason. */
function detailOf(message: string): string {
  const rest = message.replace(/^Switchboard is not configured:\s*/, "");
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}
