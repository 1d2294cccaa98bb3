/**
 * The list's CSS, injected once per document. No CSS loader on purpose: the remote ships one JS
 * entry, and the host's design tokens (--sb-*) reach it through custom properties.
 * Rows use padding, not margins: the virtualizer measures border boxes. max-height keeps a host that
 * forgets to bound the slot from turning the virtual list into 5,000 real rows.
 */
const STYLE_ID = "switchboard-receiver-styles";

const CSS = `
.sb-rx{display:flex;flex-direction:column;height:100%;min-height:0;max-height:100vh;box-sizing:border-box;
  background:var(--sb-surface,#fff);color:var(--sb-text,#1d2330)}
.sb-rx-queued{margin:0 16px 6px;padding:6px 10px;border-radius:8px;background:#fff4d6;color:#7a4b00;font-size:.82rem;font-weight:600}
.sb-rx-head{display:flex;align-items:center;justify-content:space-between;gap:12px;padding:14px 16px 8px}
.sb-rx-title{margin:0;font-size:1rem;font-weight:650;overflow-wrap:anywhere}
.sb-rx-title span{color:var(--sb-muted,#5f6b7a);margin-right:1px}
.sb-rx-badge{display:inline-flex;align-items:center;gap:6px;flex:none;padding:3px 10px;border-radius:999px;
  font-size:.78rem;font-weight:600;white-space:nowrap}
.sb-rx-dot{width:8px;height:8px;border-radius:50%;background:currentColor}
.sb-rx-badge-ok{color:#116b3a;background:#e3f5ea}
.sb-rx-badge-warn{color:#8a5300;background:#fff1d6}
.sb-rx-badge-down{color:#a5281b;background:#fde4e1}
.sb-rx-presence{display:flex;align-items:center;gap:8px;padding:0 16px 10px;font-size:.8rem;
  border-bottom:1px solid var(--sb-border,#e3e7ee);min-width:0}
.sb-rx-presence-count{flex:none;color:var(--sb-muted,#5f6b7a);font-weight:600}
.sb-rx-people{display:flex;gap:6px;margin:0;padding:0;list-style:none;overflow:hidden;flex-wrap:nowrap;min-width:0;
  -webkit-mask-image:linear-gradient(to right,#000 calc(100% - 24px),transparent);
  mask-image:linear-gradient(to right,#000 calc(100% - 24px),transparent);flex:1}
.sb-rx-person{flex:none;padding:2px 8px;border-radius:999px;background:var(--sb-chip,#eef1f6);white-space:nowrap;
  max-width:14em;overflow:hidden;text-overflow:ellipsis}
.sb-rx-you{color:var(--sb-muted,#5f6b7a)}
.sb-rx-warning{margin:8px 16px 0;font-size:.8rem;color:var(--sb-warn,#8a5300)}
.sb-rx-body{position:relative;flex:1;min-height:0;display:flex}
.sb-rx-scroll{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;position:relative}
.sb-rx-log{position:relative;width:100%;min-height:100%}
.sb-msg-row{position:absolute;top:0;left:0;width:100%;box-sizing:border-box;padding:3px 12px;contain:layout style}
.sb-msg{display:flex;gap:10px;padding:7px 8px;border-radius:var(--sb-radius-sm,8px)}
.sb-msg:hover{background:var(--sb-hover,#f5f7fa)}
.sb-msg-avatar{flex:none;width:30px;height:30px;border-radius:50%;display:grid;place-items:center;
  color:#fff;font-size:.8rem;font-weight:700;margin-top:2px}
.sb-msg-main{min-width:0;flex:1}
.sb-msg-head{display:flex;align-items:baseline;gap:8px;flex-wrap:wrap}
.sb-msg-author{font-weight:650;font-size:.88rem;overflow-wrap:anywhere}
.sb-msg-verified{font-size:.7rem;font-weight:650;color:#116b3a;background:#e3f5ea;padding:1px 6px;border-radius:999px}
.sb-msg-verified::before{content:"✓ "}
.sb-msg-claimed{color:var(--sb-muted,#5f6b7a);font-style:italic;font-weight:500;font-size:.8rem}
.sb-msg-time{color:var(--sb-muted,#5f6b7a);font-size:.74rem;font-variant-numeric:tabular-nums}
.sb-msg-status{font-size:.72rem;font-weight:600}
.sb-msg-pending{color:var(--sb-muted,#5f6b7a)}
.sb-msg-sent{color:#116b3a}
.sb-msg-sent::before{content:"✓ "}
.sb-msg-failed{color:var(--sb-danger,#b42318)}
.sb-msg-text{margin:2px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.45;font-size:.92rem}
.sb-msg-own .sb-msg-text{color:var(--sb-text,#1d2330)}
.sb-msg-notice{background:var(--sb-notice,#f3f0ff)}
.sb-msg-notice .sb-msg-text{font-style:italic}
.sb-rx-empty{position:absolute;inset:0;display:grid;place-items:center;margin:0;padding:24px;text-align:center;
  color:var(--sb-muted,#5f6b7a);font-size:.9rem}
.sb-rx-jump{position:absolute;right:16px;bottom:12px;padding:6px 12px;border:0;border-radius:999px;font:inherit;
  font-size:.8rem;font-weight:600;color:#fff;background:var(--sb-accent,#3157d5);cursor:pointer;
  box-shadow:0 2px 8px rgb(0 0 0 / .18)}
.sb-alert{margin:0;padding:14px 16px;border-radius:var(--sb-radius-sm,8px);background:#fde4e1;color:#7a1d12;
  font-size:.88rem;line-height:1.45}
.sb-alert strong{display:block;margin-bottom:4px}
.sb-alert p{margin:0;overflow-wrap:anywhere}
`;

const adopted = new WeakSet<Document>();

/**
 * A constructed style sheet, not a <style> element: the host page's CSP allows no inline styles
 * (docs/security.md), and CSP does not govern constructed sheets. <style> only where a browser
 * lacks them.
 */
export function injectStyles(doc: Document = document): void {
  if (adopted.has(doc) || doc.getElementById(STYLE_ID)) return;
  const Sheet = doc.defaultView?.CSSStyleSheet;
  if (Sheet && "replaceSync" in Sheet.prototype && Array.isArray(doc.adoptedStyleSheets)) {
    const sheet = new Sheet();
    sheet.replaceSync(CSS);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    adopted.add(doc);
    return;
  }
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.append(style);
}
