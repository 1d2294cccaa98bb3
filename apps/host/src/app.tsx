import { useConnectionState } from "@switchboard/react";
import { useCallback, useMemo, useState } from "react";
import { type HostConfig, REMOTE_NAMES, type RemoteName } from "./config.js";
import { cleanDisplayName, saveDisplayName } from "./display-name.js";
import { ChannelField, isValidChannel, NameField, TabRoleField } from "./header-fields.js";
import { RemoteSlot, type SlotStatus } from "./remote-slot.js";

export const DEFAULT_CHANNEL = "chat:general";

export interface AppProps {
  config: HostConfig;
  initialName: string;
  configProblem?: string | undefined;
}

function initialChannel(): string {
  const fromUrl = new URLSearchParams(location.search).get("channel");
  return fromUrl && isValidChannel(fromUrl) ? fromUrl : DEFAULT_CHANNEL;
}

/** The shell: who you are, which channel, and the two federated modules side by side. */
export function App({ config, initialName, configProblem }: AppProps) {
  const connection = useConnectionState();
  const [name, setName] = useState(initialName);
  const [channel, setChannel] = useState(initialChannel);
  const [statuses, setStatuses] = useState<Record<RemoteName, SlotStatus>>({
    sender: "loading",
    receiver: "loading",
  });

  const senderProps = useMemo(() => ({ channel, author: name }), [channel, name]);
  const receiverProps = useMemo(() => ({ channel }), [channel]);
  const onStatus = useCallback((remote: RemoteName, status: SlotStatus) => {
    setStatuses((current) => (current[remote] === status ? current : { ...current, [remote]: status }));
  }, []);

  const commitName = (next: string) => {
    setName(next);
    saveDisplayName(next);
  };
  const commitChannel = (next: string) => {
    setChannel(next);
    const url = new URL(location.href);
    if (next === DEFAULT_CHANNEL) url.searchParams.delete("channel");
    else url.searchParams.set("channel", next);
    history.replaceState(null, "", url);
  };

  return (
    <>
      <header className="sb-header">
        <h1 className="sb-brand">
          <span className="sb-logo" aria-hidden="true" />
          Switchboard
        </h1>
        <div className="sb-controls">
          <NameField value={name} onCommit={commitName} clean={cleanDisplayName} />
          <ChannelField value={channel} onCommit={commitChannel} />
          <TabRoleField />
        </div>
      </header>
      <main className="sb-main">
        <div className="sb-side">
          <RemoteSlot
            name="sender"
            props={senderProps}
            className="sb-card sb-slot-sender"
            onStatus={onStatus}
          />
          <aside className="sb-card sb-about" aria-label="Connections">
            <h2>This page</h2>
            <ul>
              <li>
                Hub <code>{config.hubUrl}</code>{" "}
                <span className={connection.state === "connected" ? "sb-state-ok" : "sb-state-bad"}>
                  {connection.state}
                </span>
              </li>
              {REMOTE_NAMES.map((remote) => (
                <li key={remote}>
                  {remote}{" "}
                  <span className={statuses[remote] === "unavailable" ? "sb-state-bad" : "sb-state-ok"}>
                    {statuses[remote]}
                  </span>{" "}
                  from <code>{new URL(config.remotes[remote], location.href).origin}</code>
                </li>
              ))}
            </ul>
            {configProblem && <p className="sb-state-bad">{configProblem}</p>}
          </aside>
        </div>
        <RemoteSlot
          name="receiver"
          props={receiverProps}
          className="sb-card sb-slot-receiver"
          onStatus={onStatus}
        />
      </main>
    </>
  );
}
