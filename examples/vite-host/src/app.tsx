import { useEffect, useRef, useState } from "react";

/** What both remotes export: mount into an element the host owns; the result unmounts. */
interface Mountable {
  mount(element: HTMLElement, props: Record<string, unknown>): () => void;
}

const remotes = {
  sender: () => import("sender/sender") as Promise<Mountable>,
  receiver: () => import("receiver/receiver") as Promise<Mountable>,
};

function RemoteSlot(props: { remote: keyof typeof remotes; mountProps: Record<string, unknown> }) {
  const element = useRef<HTMLDivElement>(null);
  const [problem, setProblem] = useState<string>();
  const { remote, mountProps } = props;
  useEffect(() => {
    let unmount: (() => void) | undefined;
    let cancelled = false;
    remotes[remote]()
      .then((module) => {
        if (!cancelled && element.current) unmount = module.mount(element.current, mountProps);
      })
      .catch((error: unknown) => setProblem(`${remote} could not be loaded: ${String(error)}`));
    return () => {
      cancelled = true;
      unmount?.();
    };
  }, [remote, mountProps]);
  return problem ? <p role="alert">{problem}</p> : <div ref={element} className={`${remote}-slot`} />;
}

const senderProps = { channel: "chat:general", author: "Vite host" };
const receiverProps = { channel: "chat:general" };

export function App(props: { bundler: string }) {
  return (
    <main>
      <h1>{props.bundler} host</h1>
      <RemoteSlot remote="sender" mountProps={senderProps} />
      <RemoteSlot remote="receiver" mountProps={receiverProps} />
    </main>
  );
}
