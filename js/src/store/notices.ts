/** The store's own notices (errors of the page, shown as banners): the last five. */
import type { Emitter, NoticeLevel, StoreEvents } from "./events";

export interface Notice {
  id: number;
  level: NoticeLevel;
  message: string;
}

export class Notices {
  list: Notice[] = [];
  private seq = 0;

  constructor(private readonly events: Emitter<StoreEvents>) {}

  notify(level: NoticeLevel, message: string): void {
    this.list = [...this.list.slice(-4), { id: ++this.seq, level, message }];
    if (level === "error") console.warn("[ogpu-widgets]", message);
    this.events.emit("notices", undefined);
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
    this.events.emit("notices", undefined);
  }
}
