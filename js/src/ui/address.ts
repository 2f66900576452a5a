/**
 * A shortened address or hash (`0x1234…abcd`) with the full value in its title and accessible
 * name, an explorer link when there is one, and a copy button.
 */
import { el } from "../core/dom";
import { addressHref, isAddress, isTxHash, shortHex, txHref } from "../core/format";

/** Copy `text` to the clipboard (a hidden textarea in `container`, by default `btn`'s parent, when
 * the Clipboard API is missing); flags `btn` with data-copied for a moment. Resolves to whether
 * it worked. */
export function copyToClipboard(
  doc: Document,
  text: string,
  btn: HTMLElement,
  container: HTMLElement | null = null,
): Promise<boolean> {
  const mark = (ok: boolean): boolean => {
    if (ok) {
      btn.setAttribute("data-copied", "true");
      setTimeout(() => btn.removeAttribute("data-copied"), 1200);
    }
    return ok;
  };
  const fallback = (): boolean => {
    try {
      const ta = el(doc, "textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      (container ?? btn.parentElement ?? doc.body).append(ta);
      ta.select();
      const ok = typeof doc.execCommand === "function" && doc.execCommand("copy");
      ta.remove();
      return mark(ok);
    } catch {
      return false;
    }
  };
  const clip: Clipboard | undefined = doc.defaultView?.navigator.clipboard;
  if (clip && typeof clip.writeText === "function") {
    return clip.writeText(text).then(
      () => mark(true),
      () => fallback(),
    );
  }
  return Promise.resolve(fallback());
}

export class AddressChip {
  readonly el: HTMLElement;
  private readonly link: HTMLAnchorElement;
  private readonly text: HTMLElement;
  private readonly copy: HTMLButtonElement;
  private value = "";

  /** `what` names the value for assistive technology ("provider", "transaction"). */
  constructor(
    private readonly doc: Document,
    private readonly what: string,
  ) {
    this.el = el(doc, "span", "ogpu-rt-chip");
    this.link = el(doc, "a", "ogpu-rt-chip-link");
    this.link.target = "_blank";
    this.link.rel = "noopener noreferrer";
    this.text = el(doc, "span", "ogpu-rt-chip-text");
    this.copy = el(doc, "button", "ogpu-rt-icon ogpu-rt-chip-copy");
    this.copy.type = "button";
    this.copy.append(el(doc, "span", "ogpu-rt-copyicon")); // drawn by CSS (no font glyph)
    this.copy.addEventListener("click", (e) => {
      e.stopPropagation();
      if (this.value !== "") void copyToClipboard(this.doc, this.value, this.copy);
    });
    this.el.append(this.link, this.text, this.copy);
  }

  /** Show `value` (an address or a transaction hash; anything else as shortened text). */
  set(value: string, explorer: string | null): void {
    this.value = value;
    const shown = value.length > 14 ? shortHex(value) : value;
    const href = isAddress(value) ? addressHref(explorer, value) : isTxHash(value) ? txHref(explorer, value) : null;
    this.el.title = value;
    if (href !== null) {
      this.link.setAttribute("href", href);
      this.link.textContent = shown;
      this.link.setAttribute("aria-label", `${this.what} ${value} on the explorer`);
      this.link.style.display = "";
      this.text.style.display = "none";
    } else {
      this.link.removeAttribute("href");
      this.link.style.display = "none";
      this.text.textContent = value === "" ? "—" : shown;
      this.text.setAttribute("aria-label", value === "" ? `no ${this.what}` : `${this.what} ${value}`);
      this.text.style.display = "";
    }
    this.copy.style.display = value === "" ? "none" : "";
    this.copy.setAttribute("aria-label", `Copy ${this.what} ${value}`);
    this.copy.title = `Copy ${value}`;
  }
}
