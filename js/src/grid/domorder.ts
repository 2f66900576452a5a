/**
 * DOM order that follows the display order: reorder a parent's children with the fewest moves
 * (only the elements outside a longest run already in order move), keeping the focus.
 */
/** Indices (into `seq`) of a longest strictly increasing subsequence. */
export function longestIncreasing(seq: readonly number[]): Set<number> {
  const tails: number[] = []; // index into seq of the smallest tail of each length
  const prev = new Int32Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i] ?? 0;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((seq[tails[mid] ?? 0] ?? 0) < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] ?? -1;
    tails[lo] = i;
  }
  const out = new Set<number>();
  let k = tails.length > 0 ? (tails[tails.length - 1] ?? -1) : -1;
  while (k >= 0) {
    out.add(k);
    k = prev[k] ?? -1;
  }
  return out;
}

/**
 * Reorder `want` (elements of `parent`) to that order, moving only the elements outside a
 * longest run already in order; other children of `parent` go after them. Focus is put back
 * if a moved element held it.
 */
export function moveOutOfOrder(parent: HTMLElement, want: readonly HTMLElement[], doc: Document): void {
  const rank = new Map<Element, number>();
  want.forEach((e, i) => rank.set(e, i));
  const current: HTMLElement[] = [];
  for (let c = parent.firstElementChild; c !== null; c = c.nextElementSibling) {
    if (rank.has(c)) current.push(c as HTMLElement);
  }
  const stay = longestIncreasing(current.map((e) => rank.get(e) ?? 0));
  const fixed = new Set<Element>();
  current.forEach((e, i) => {
    if (stay.has(i)) fixed.add(e);
  });
  const active = doc.activeElement;
  let refocus: HTMLElement | null = null;
  // walk from the end: each element goes right before the next wanted one
  let next: Element | null = null;
  for (let i = want.length - 1; i >= 0; i--) {
    const e = want[i] as HTMLElement;
    if (!fixed.has(e)) {
      if (active instanceof HTMLElement && e.contains(active)) refocus = active;
      const ref = next ?? lastWantedSibling(parent, rank);
      if (e.nextElementSibling !== ref || e.parentElement !== parent) parent.insertBefore(e, ref);
    }
    next = e;
  }
  if (refocus !== null && doc.activeElement !== refocus) refocus.focus({ preventScroll: true });
}

/** The first child after the last wanted element (where the last wanted one goes). */
function lastWantedSibling(parent: HTMLElement, rank: ReadonlyMap<Element, number>): Element | null {
  let last: Element | null = null;
  for (let c = parent.firstElementChild; c !== null; c = c.nextElementSibling) if (rank.has(c)) last = c;
  return last === null ? null : last.nextElementSibling;
}

/** `want` are already children of `parent` in this order (other children may lie between). */
export function inOrder(parent: HTMLElement, want: readonly HTMLElement[]): boolean {
  const wanted = new Set<Element>(want);
  let node = parent.firstElementChild;
  for (const e of want) {
    while (node !== null && node !== e && !wanted.has(node)) node = node.nextElementSibling;
    if (node !== e) return false;
    node = node.nextElementSibling;
  }
  return true;
}
