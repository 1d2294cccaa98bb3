import { useConnectionState, useOutbox, usePublish } from "@switchboard/react";
import { type FormEvent, type KeyboardEvent, useId, useState } from "react";
import { offlineReason } from "./offline-reason.js";
import { chatData } from "./send-message.js";

export interface ComposeBoxProps {
  channel: string;
  author?: string | undefined;
}

/**
 * Textbox "Message" + button "Send". Enter sends, Shift+Enter adds a line. Offline the message is
 * accepted and queued (the client's outbox keeps it across a reload and sends it once the hub is back).
 */
export function ComposeBox({ channel, author }: ComposeBoxProps) {
  const connection = useConnectionState();
  const publish = usePublish(channel);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const statusId = useId();
  const online = connection.state === "connected";
  const outbox = useOutbox();

  const send = () => {
    if (text.trim() === "") return;
    const value = text;
    // Cleared at once: the receiver already shows the message as pending, so the box is free.
    setText("");
    setError(undefined);
    publish(chatData(value, author)).catch((e: unknown) => {
      setError(`Not sent: ${e instanceof Error ? e.message : String(e)}`);
      setText((current) => (current === "" ? value : current));
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // isComposing: Enter that confirms an IME composition must not send half a word.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };

  return (
    <form className="sb-compose" onSubmit={onSubmit} aria-label={`Send a message to ${channel}`}>
      <div className="sb-compose-head">
        <span className="sb-compose-title">Compose</span>
        <span className="sb-compose-meta">
          as <strong>{author || "anonymous"}</strong> in <strong>{channel}</strong>
        </span>
      </div>
      <textarea
        className="sb-compose-input"
        aria-label="Message"
        aria-describedby={statusId}
        placeholder={`Message ${channel}`}
        rows={3}
        maxLength={4000}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="sb-compose-foot">
        <p id={statusId} className={online ? "sb-compose-hint" : "sb-compose-offline"} role="status">
          {online
            ? "Enter sends · Shift+Enter: new line"
            : `${offlineReason(connection)} — messages are queued`}
        </p>
        <button className="sb-compose-send" type="submit">
          Send
        </button>
      </div>
      <div className="sb-compose-state">
        {outbox.queued > 0 && (
          <span className="sb-compose-queued" data-queued={outbox.queued}>
            {outbox.queued === 1 ? "1 message queued" : `${outbox.queued} messages queued`}
            {outbox.persistent ? " (kept across reloads)" : ""}
          </span>
        )}
      </div>
      {error !== undefined && <p className="sb-compose-error">{error}</p>}
    </form>
  );
}
