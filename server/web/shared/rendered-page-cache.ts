/**
 * Pages that are the same for every visitor but for a few per-request values (a form token, a receipt) are
 * rendered once, per survey revision and locale, with slots where those values go; each request fills them.
 * Keys carry the revision, so an edit makes the old entry unreachable; the map is bounded.
 */

/** A slot in a rendered page: `__MINYI_NAME__`. Values filled in must already be escaped for where they go. */
export const slot = (name: string) => `__MINYI_${name}__`;
const SLOT = /(__MINYI_[A-Z_]+__)/;

export class PageWithSlots {
  /** Text, slot, text, slot, ..., text; the text already encoded, so a request encodes only its own values. */
  private readonly parts: Array<Buffer | string>;

  constructor(html: string) {
    this.parts = html.split(SLOT).map((part, i) => (i % 2 === 0 ? Buffer.from(part) : part));
  }

  /** The page as UTF-8 bytes. */
  fill(values: Record<string, string>): Buffer {
    return Buffer.concat(this.parts.map((part) => (typeof part === 'string' ? Buffer.from(values[part] ?? part) : part)));
  }
}

export class RenderedPageCache {
  private readonly pages = new Map<string, PageWithSlots>();

  constructor(private readonly maxEntries = 500) {}

  getOrRender(key: string, render: () => string): PageWithSlots {
    let page = this.pages.get(key);
    if (page === undefined) {
      page = new PageWithSlots(render());
      if (this.pages.size >= this.maxEntries) this.pages.clear();
      this.pages.set(key, page);
    }
    return page;
  }

  clear(): void {
    this.pages.clear();
  }
}
