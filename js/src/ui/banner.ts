/**
 * The message banners above the toolbar: Python's `banner` trait (dismissable per message) and
 * the store's local notices.
 */
import { button, el } from "../core/dom";
import { MessageBlock, compactText } from "./messages";
import type { TableState } from "../table/tablestate";
import { readBanner } from "../core/protocol";

export class Banners {
  readonly el: HTMLElement;
  /** seq|message of the `banner` value the user dismissed. */
  private dismissed = "";

  constructor(private readonly state: TableState) {
    this.el = el(state.doc, "div", "ogpu-rt-banners");
  }

  render(): void {
    const { model, store } = this.state;
    const items: HTMLElement[] = [];
    const b = readBanner(model.get("banner"));
    if (b !== null) {
      const { message, level } = b;
      const sig = `${String(b.seq)}|${message}`;
      if (message !== "" && sig !== this.dismissed) {
        items.push(
          this.banner(level, message, () => {
            this.dismissed = sig;
            this.render();
          }),
        );
      }
    }
    for (const n of store.notices.list) {
      items.push(this.banner(n.level, n.message, () => store.notices.dismiss(n.id)));
    }
    this.el.replaceChildren(...items);
  }

  private banner(level: "info" | "error", message: string, onDismiss: () => void): HTMLElement {
    const doc = this.state.doc;
    const div = el(doc, "div", "ogpu-rt-banner");
    div.dataset["level"] = level;
    div.setAttribute("role", level === "error" ? "alert" : "status");
    // a long message (a refusal full of hex) shows one line; the whole text is behind "Details"
    const block = new MessageBlock(doc);
    const long = message.length > 160 || /\n|0x[0-9a-fA-F]{41,}/.test(message);
    block.set(long ? compactText(message, 160) : message, long ? message : "");
    const x = button(doc, "ogpu-rt-icon", "×", "Dismiss message");
    x.addEventListener("click", onDismiss);
    div.append(block.el, x);
    return div;
  }
}
