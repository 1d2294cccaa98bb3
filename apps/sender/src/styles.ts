/**
 * The compose box's CSS, injected once per document. No CSS loader on purpose: the remote ships
 * one JS entry, and the host's design tokens (--sb-*) reach it through custom properties.
 */
const STYLE_ID = "switchboard-sender-styles";

const CSS = `
.sb-compose{display:flex;flex-direction:column;gap:10px;height:100%;box-sizing:border-box;padding:16px;
  background:var(--sb-surface,#fff);color:var(--sb-text,#1d2330);font:inherit}
.sb-compose-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 10px}
.sb-compose-title{font-weight:650;font-size:1rem}
.sb-compose-meta{color:var(--sb-muted,#5f6b7a);font-size:.85rem;overflow-wrap:anywhere}
.sb-compose-meta strong{color:var(--sb-text,#1d2330);font-weight:600}
.sb-compose-input{flex:1;min-height:84px;resize:vertical;box-sizing:border-box;width:100%;padding:10px 12px;
  border:1px solid var(--sb-border,#d5dae3);border-radius:var(--sb-radius-sm,8px);font:inherit;line-height:1.45;
  color:inherit;background:var(--sb-input,#fbfcfd)}
.sb-compose-input:focus{outline:2px solid var(--sb-accent,#3157d5);outline-offset:1px;border-color:transparent}
.sb-compose-foot{display:flex;align-items:center;gap:12px}
.sb-compose-hint,.sb-compose-offline,.sb-compose-error{margin:0;font-size:.8rem;flex:1;min-width:0}
.sb-compose-hint{color:var(--sb-muted,#5f6b7a)}
.sb-compose-offline{color:var(--sb-warn,#8a5300)}
.sb-compose-error{color:var(--sb-danger,#b42318)}
.sb-compose-state{display:flex;flex-wrap:wrap;gap:6px 12px;font-size:.78rem;color:var(--sb-muted,#5f6b7a)}
.sb-compose-state:empty{display:none}
.sb-compose-queued{padding:2px 8px;border-radius:999px;background:#fff4d6;color:#7a4b00;font-weight:600}
.sb-compose-send{flex:none;padding:9px 20px;border:0;border-radius:var(--sb-radius-sm,8px);font:inherit;font-weight:600;
  color:#fff;background:var(--sb-accent,#3157d5);cursor:pointer}
.sb-compose-send:hover:not(:disabled){filter:brightness(1.08)}
.sb-compose-send:focus-visible{outline:2px solid var(--sb-accent,#3157d5);outline-offset:2px}
.sb-compose-send:disabled{background:var(--sb-disabled,#aab2c0);cursor:not-allowed}
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
