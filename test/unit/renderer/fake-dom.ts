// Just enough of a DOM for the renderer's views to run in Node (no DOM library here): elements
// with text, attributes, children and simple selectors ("tag[attr=\"v\"]", ".class"), a
// document that makes an element for any id asked for, and a window with timers. Tests read
// back every text the views put into the page.

type Child = FakeElement | string;

export class FakeElement {
  children: Child[] = [];
  readonly attrs = new Map<string, string>();
  className = '';
  hidden = false;
  disabled = false;
  readonly classList = { toggle: (): void => undefined };
  constructor(readonly tagName: string) {}
  get textContent(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
  }
  set textContent(value: string) {
    this.children = value === '' ? [] : [String(value)];
  }
  append(...children: Child[]): void {
    this.children.push(...children);
  }
  replaceChildren(...children: Child[]): void {
    this.children = [...children];
  }
  setAttribute(name: string, value: string): void {
    this.attrs.set(name, value);
  }
  removeAttribute(name: string): void {
    this.attrs.delete(name);
  }
  focus(): void {}
  /** Every descendant element, depth first. */
  descendants(): FakeElement[] {
    return this.children.flatMap((c) => (typeof c === 'string' ? [] : [c, ...c.descendants()]));
  }
  querySelector(selector: string): FakeElement | null {
    return this.descendants().find((e) => e.matches(selector)) ?? null;
  }
  matches(selector: string): boolean {
    const cls = /^\.([\w-]+)$/.exec(selector);
    if (cls) return [...(this.attrs.get('class') ?? '').split(' '), ...this.className.split(' ')].includes(cls[1]!);
    const attr = /^(\w+)\[([\w-]+)="([^"]*)"\]$/.exec(selector);
    return attr !== null && this.tagName === attr[1] && this.attrs.get(attr[2]!) === attr[3];
  }
}

/** Installs the fake document and window; returns the elements by id, for reading back. */
export function installFakeDom(): Map<string, FakeElement> {
  const byId = new Map<string, FakeElement>();
  const g = globalThis as Record<string, unknown>;
  g.document = {
    body: new FakeElement('body'),
    createElement: (tag: string) => new FakeElement(tag),
    getElementById: (id: string) => byId.get(id) ?? byId.set(id, new FakeElement('div')).get(id),
  };
  g.window = { setTimeout: (): number => 0, setInterval: (): number => 0, clearInterval: (): void => undefined };
  return byId;
}

/** Every text in the page: each element's own strings, with its id. */
export function pageTexts(elements: Map<string, FakeElement>): { id: string; text: string }[] {
  return [...elements].flatMap(([id, el]) =>
    [el, ...el.descendants()].flatMap((e) => e.children.filter((c): c is string => typeof c === 'string').map((text) => ({ id, text }))),
  );
}
