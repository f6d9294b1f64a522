/**
 * Pages that are the same for every visitor but for a few per-request tokens are rendered once (per survey
 * revision and locale) with placeholders, which each request fills in. Keys carry the revision, so an edit
 * makes the old entry unreachable; the map is bounded.
 */
export class RenderedPageCache {
  private readonly pages = new Map<string, string>();

  constructor(private readonly maxEntries = 500) {}

  getOrRender(key: string, render: () => string): string {
    let html = this.pages.get(key);
    if (html === undefined) {
      html = render();
      if (this.pages.size >= this.maxEntries) this.pages.clear();
      this.pages.set(key, html);
    }
    return html;
  }

  clear(): void {
    this.pages.clear();
  }
}
