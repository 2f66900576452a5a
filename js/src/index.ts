/**
 * ogpu-widgets ResponseTable: the anywidget front-end module (`_esm`).
 *
 * initialize: one RowStore per model (shared by every view), asks Python to resync once.
 * render: a virtualized table bound to that store; returns a cleanup function.
 */
import { RowStore, findStore, unregisterStore } from "./store/rowstore";
import type { AnyModel } from "@anywidget/types";
import type { WidgetModel } from "./core/model";
import { createTable } from "./table/table";

export { createTable } from "./table/table";
export { RowStore } from "./store/rowstore";

/** The part of anywidget's InitializeProps we use. */
interface InitializeProps {
  model: AnyModel<WidgetModel>;
}

/** The part of anywidget's RenderProps we use. */
interface RenderProps {
  model: AnyModel<WidgetModel>;
  el: HTMLElement;
}

function initialize({ model }: InitializeProps): () => void {
  const store = new RowStore(model, { shared: true });
  store.resync();
  return () => {
    store.dispose();
    unregisterStore(model, store);
  };
}

function render({ model, el }: RenderProps): () => void {
  const store = findStore(model);
  const table = createTable(model, el, store ? { store } : {});
  return () => table.destroy();
}

export default { initialize, render };
