import { getSharedClient, type TabRole } from "@switchboard/client";
import { type KeyboardEvent, useEffect, useMemo, useState } from "react";

export const KNOWN_CHANNELS = ["chat:general", "chat:random", "chat:help"] as const;
const CHANNEL_PATTERN = /^[A-Za-z0-9_.:@#/=-]{1,255}$/;

export function isValidChannel(value: string): boolean {
  return CHANNEL_PATTERN.test(value);
}

interface FieldProps {
  value: string;
  onCommit: (value: string) => void;
}

/** A text field that keeps a draft and commits on Enter or when focus leaves (invalid drafts revert). */
function useDraft({ value, onCommit }: FieldProps, clean: (raw: string) => string | undefined) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = (raw = draft) => {
    const cleaned = clean(raw);
    if (cleaned === undefined) setDraft(value);
    else if (cleaned !== value) onCommit(cleaned);
    else setDraft(value);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") commit();
    if (e.key === "Escape") setDraft(value);
  };
  return { draft, setDraft, commit, onKeyDown };
}

export function NameField(props: FieldProps & { clean: (raw: string) => string }) {
  const { draft, setDraft, commit, onKeyDown } = useDraft(props, (raw) => props.clean(raw) || undefined);
  return (
    <label className="sb-field">
      Display name
      <input
        value={draft}
        maxLength={40}
        autoComplete="nickname"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => commit()}
        onKeyDown={onKeyDown}
      />
    </label>
  );
}

export function ChannelField(props: FieldProps) {
  const { draft, setDraft, commit, onKeyDown } = useDraft(props, (raw) =>
    isValidChannel(raw.trim()) ? raw.trim() : undefined,
  );
  return (
    <label className="sb-field">
      Channel
      <input
        value={draft}
        list="sb-channels"
        spellCheck={false}
        aria-invalid={draft !== "" && !isValidChannel(draft.trim())}
        onChange={(e) => {
          setDraft(e.target.value);
          // Picking a suggestion switches at once; typed names switch on Enter or blur.
          if ((KNOWN_CHANNELS as readonly string[]).includes(e.target.value)) commit(e.target.value);
        }}
        onBlur={() => commit()}
        onKeyDown={onKeyDown}
      />
      <datalist id="sb-channels">
        {KNOWN_CHANNELS.map((channel) => (
          <option key={channel} value={channel} />
        ))}
      </datalist>
    </label>
  );
}

const TAB_ROLE_TEXT: Readonly<Record<TabRole, string>> = {
  holder: "held by this tab",
  rider: "shared from another tab",
  electing: "choosing a tab…",
  off: "this tab's own",
};

/** Whether this tab holds the browser's one hub connection or rides another tab's (docs/client.md, "Tabs"). */
export function TabRoleField() {
  // The bootstrap creates the page's client before the first render; none when the config is broken.
  const client = useMemo(() => {
    try {
      return getSharedClient();
    } catch {
      return undefined;
    }
  }, []);
  const [role, setRole] = useState<TabRole | undefined>(client?.tabRole);
  useEffect(() => {
    if (!client) return;
    setRole(client.tabRole);
    return client.on("tab", (event) => setRole(event.role));
  }, [client]);
  if (role === undefined) return null;
  return (
    <div className="sb-field" data-tab-role={role}>
      Connection
      <output className="sb-tab-role">{TAB_ROLE_TEXT[role]}</output>
    </div>
  );
}
