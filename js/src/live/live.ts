/**
 * The live indicator in the toolbar: whether the table follows the chain (`live`, both ways)
 * and how fresh its data is (`_live_status`, from Python), a Pause/Resume switch and a Refresh
 * button (`{"type": "refresh"}`, what `table.refresh()` does). The indicator and the table's
 * root carry `data-live="on"|"off"`; the seconds since the last update are counted here.
 */
import { button, el } from "../core/dom";
import { sendMessage } from "../core/channel";
import { onTraitChange } from "../core/model";
import { readLiveStatus, type LiveStatusValue } from "../core/protocol";
import type { LiveState } from "../core/states";
import { listen, type TableState } from "../table/tablestate";

/** "just now", "3 s ago", "2 min ago", "5 h ago" for an age in seconds. */
export function agoText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const LABELS: Record<LiveState, string> = {
  live: "Live",
  connecting: "Live",
  reconnecting: "Reconnecting…",
  paused: "Paused",
  off: "Not live",
  error: "Not live (error)",
};

export class LiveIndicator {
  /** The whole group (indicator, switch, refresh); hidden when Python has no live updates. */
  readonly el: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly label: HTMLElement;
  private readonly age: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly refresh: HTMLButtonElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;

  constructor(
    private readonly state: TableState,
    /** Called with "on"/"off" whenever it changes (the table's root carries it too). */
    private readonly onLive: (live: "on" | "off") => void,
  ) {
    const doc = state.doc;
    this.el = el(doc, "span", "ogpu-rt-live");
    this.badge = el(doc, "span", "ogpu-rt-live-badge");
    this.badge.setAttribute("role", "status");
    this.badge.setAttribute("aria-live", "polite");
    const dot = el(doc, "span", "ogpu-rt-live-dot");
    dot.setAttribute("aria-hidden", "true");
    this.label = el(doc, "span", "ogpu-rt-live-label");
    this.badge.append(dot, this.label);
    this.age = el(doc, "span", "ogpu-rt-live-age");
    this.toggle = button(doc, "ogpu-rt-btn ogpu-rt-live-toggle", "Pause");
    this.refresh = button(doc, "ogpu-rt-btn ogpu-rt-live-refresh", "Refresh");
    this.refresh.title = "Read the table's responses again from the chain";
    this.el.append(this.badge, this.age, this.toggle, this.refresh);

    listen(state, this.toggle, "click", () => this.setLive(!this.isLive()));
    listen(state, this.refresh, "click", () => this.askRefresh());
    state.cleanups.push(
      onTraitChange(state.model, "live", () => this.render()),
      onTraitChange(state.model, "_live_status", () => this.render()),
      () => this.stop(),
    );
  }

  isLive(): boolean {
    return this.state.model.get("live") === true;
  }

  status(): LiveStatusValue | null {
    return readLiveStatus(this.state.model.get("_live_status"));
  }

  private setLive(on: boolean): void {
    try {
      this.state.model.set("live", on);
      this.state.model.save_changes();
    } catch (e) {
      this.state.store.notify("error", `Could not switch live updates: ${String(e)}`);
    }
    this.render();
  }

  private askRefresh(): void {
    try {
      sendMessage(this.state.model, { type: "refresh" });
      this.refresh.disabled = true; // until Python reports the refresh (or a second passes)
      this.refresh.dataset["asked"] = "true";
      setTimeout(() => {
        if (this.destroyed) return;
        delete this.refresh.dataset["asked"];
        this.render();
      }, 1000);
    } catch (e) {
      this.state.store.notify("error", `Could not ask the kernel to refresh: ${String(e)}`);
    }
  }

  /** Draw the current state; keeps counting the seconds while shown. */
  render(nowMs: number = Date.now()): void {
    const v: unknown = this.state.model.get("live");
    const status = this.status();
    if (typeof v !== "boolean" && status === null) {
      this.el.style.display = "none"; // a kernel without live updates
      return;
    }
    this.el.style.display = "";
    const live = v === true;
    let state: LiveState = status?.state ?? (live ? "connecting" : "paused");
    if (!live) state = "paused";
    else if (state === "paused") state = "connecting"; // switched on here; Python will say
    const on = live ? "on" : "off";
    this.el.dataset["live"] = on;
    this.el.dataset["state"] = state;
    this.onLive(on);
    this.label.textContent = LABELS[state];
    this.badge.title =
      state === "reconnecting" || state === "off" || state === "error"
        ? status?.error || "the node does not answer"
        : live
          ? `Following the chain (a poll every ${status?.interval ?? 2} s${status?.block != null ? `, block ${status.block}` : ""})`
          : "Not following the chain: press Resume";
    let age: string;
    if (status?.refreshing) age = "refreshing…";
    else if (state === "connecting") age = "connecting…";
    else if (status?.updated != null) age = `updated ${agoText(nowMs / 1000 - status.updated)}`;
    else age = "";
    this.age.textContent = age;
    this.age.style.display = age === "" ? "none" : "";
    this.toggle.textContent = live ? "Pause" : "Resume";
    this.toggle.setAttribute("aria-pressed", live ? "false" : "true");
    this.toggle.title = live ? "Stop following the chain" : "Follow the chain again (what was missed is read)";
    this.refresh.disabled = status?.refreshing === true || this.refresh.dataset["asked"] === "true";
    if (age.startsWith("updated")) this.schedule(); // the age counts up by itself
  }

  private schedule(): void {
    if (this.timer !== null || this.destroyed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.destroyed) this.render();
    }, 1000);
  }

  private stop(): void {
    this.destroyed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
