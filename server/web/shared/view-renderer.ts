/** Compiles every Handlebars template under views/ once at start-up and renders pages inside a layout. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { I18n } from '../../i18n/i18n.js';
import { registerHelpers } from '../../views/helpers/index.js';

type Template = Handlebars.TemplateDelegate;

function templatesUnder(dir: string, prefix = ''): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...templatesUnder(full, `${prefix}${entry.name}/`));
    else if (entry.name.endsWith('.hbs')) found.push([`${prefix}${entry.name.slice(0, -4)}`, full]);
  }
  return found;
}

export class ViewRenderer {
  private readonly handlebars = Handlebars.create();
  private readonly templates = new Map<string, Template>();

  constructor(viewsDir: string, i18n: I18n) {
    registerHelpers(this.handlebars, i18n);
    for (const [name, file] of templatesUnder(path.join(viewsDir, 'partials'))) {
      this.handlebars.registerPartial(name, readFileSync(file, 'utf8'));
    }
    for (const folder of ['layouts', 'pages', 'errors']) {
      for (const [name, file] of templatesUnder(path.join(viewsDir, folder))) {
        const template = this.handlebars.compile(readFileSync(file, 'utf8'), { strict: false, preventIndent: true });
        this.templates.set(`${folder}/${name}`, template);
      }
    }
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** Renders `name` (e.g. "pages/home") with the view-model, inside layouts/<layout> unless layout is false. */
  render(name: string, viewModel: Record<string, unknown>, layout: string | false = 'main'): string {
    const template = this.templates.get(name);
    if (!template) throw new Error(`No template ${name}`);
    const body = template(viewModel);
    if (layout === false) return body;
    const layoutTemplate = this.templates.get(`layouts/${layout}`);
    if (!layoutTemplate) throw new Error(`No layout ${layout}`);
    return layoutTemplate({ ...viewModel, body });
  }
}
