const SVG = 'http://www.w3.org/2000/svg';

/** An HTML element with attributes and children (text, or elements). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const child of children) if (child !== undefined) el.append(child);
  return el;
}

/** An SVG element with attributes and children. */
export function s(tag: string, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: (Node | string | undefined)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  for (const child of children) if (child !== undefined) el.append(child);
  return el;
}

function setAttrs(el: Element, attrs: Record<string, string | number | boolean | undefined>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

export function rate(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k/s`;
  return `${n >= 100 ? Math.round(n) : Math.round(n * 10) / 10}/s`;
}

export function millis(n: number | undefined): string {
  if (n === undefined) return '–';
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n >= 10 ? Math.round(n) : n.toFixed(1)} ms`;
}

export function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}
