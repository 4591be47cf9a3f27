// A fake of the Electron API that main/ is written against (main/electron-api.ts), so main's
// unit tests run in plain Node without the Electron binary. It records what main asked for.
import type { BrowserWindowConstructorOptions, CustomScheme, HandlerDetails, WindowOpenHandlerResponse } from 'electron';
import type {
  AppLike,
  ElectronApi,
  FrameLike,
  InvokeEventLike,
  IpcMainLike,
  ProtocolLike,
  SessionLike,
  WebContentsLike,
  WindowLike,
} from '../../main/electron-api.js';

import { FakeDialog } from './fake-dialog.js';

type Listener = (...args: never[]) => unknown;

class Emitter {
  private readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => unknown)(...args);
  }
  count(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

export class FakeEvent {
  prevented = false;
  preventDefault(): void {
    this.prevented = true;
  }
}

export class FakeFrame implements FrameLike {
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
  ) {}
}

let nextId = 1;

export class FakeWebContents extends Emitter implements WebContentsLike {
  readonly id = nextId++;
  readonly mainFrame = new FakeFrame('kubejoin://app/index.html');
  readonly sent: [string, unknown][] = [];
  reloads = 0;
  devToolsClosed = 0;
  destroyed = false;
  windowOpenHandler: ((details: HandlerDetails) => WindowOpenHandlerResponse) | undefined;
  /** Where sent messages go besides `sent` (the e2e test forwards them to a real page). */
  onSend: ((channel: string, value: unknown) => void) | undefined;
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, args[0]]);
    this.onSend?.(channel, args[0]);
  }
  reload(): void {
    this.reloads++;
  }
  closeDevTools(): void {
    this.devToolsClosed++;
  }
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void {
    this.windowOpenHandler = handler;
  }
  /** Simulates window.open / a target=_blank link. */
  open(url: string): WindowOpenHandlerResponse | undefined {
    return this.windowOpenHandler?.({ url, frameName: '', features: '', disposition: 'foreground-tab', referrer: { url: '', policy: 'default' } });
  }
  /** Emits a preventable event and says whether main prevented it. */
  tryEvent(name: string, ...args: unknown[]): boolean {
    const e = new FakeEvent();
    this.emit(name, e, ...args);
    return e.prevented;
  }
}

export class FakeWindow extends Emitter implements WindowLike {
  readonly webContents = new FakeWebContents();
  loadedUrl: string | undefined;
  shown = 0;
  focused = 0;
  restored = 0;
  minimized = false;
  menuRemoved = false;
  destroyed = false;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
  }
  show(): void {
    this.shown++;
  }
  focus(): void {
    this.focused++;
  }
  restore(): void {
    this.restored++;
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  removeMenu(): void {
    this.menuRemoved = true;
  }
  /** The user (or the window manager) asks to close; returns whether main refused. */
  tryClose(): boolean {
    const e = new FakeEvent();
    this.emit('close', e);
    return e.prevented;
  }
}

export class FakeApp extends Emitter implements AppLike {
  isPackaged = false;
  lockGranted = true;
  quits = 0;
  requestSingleInstanceLock(): boolean {
    return this.lockGranted;
  }
  async whenReady(): Promise<void> {}
  quit(): void {
    this.quits++;
  }
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

export class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  async invoke(channel: string, event: InvokeEventLike, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    return h(event, ...args);
  }
}

export class FakeProtocol implements ProtocolLike {
  readonly privileged: CustomScheme[] = [];
  readonly handlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  registerSchemesAsPrivileged(schemes: CustomScheme[]): void {
    this.privileged.push(...schemes);
  }
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
    this.handlers.set(scheme, handler);
  }
}

type RequestHandler = Parameters<SessionLike['setPermissionRequestHandler']>[0];
type CheckHandler = Parameters<SessionLike['setPermissionCheckHandler']>[0];

export class FakeSession implements SessionLike {
  requestHandler: RequestHandler = null;
  checkHandler: CheckHandler = null;
  setPermissionRequestHandler(handler: RequestHandler): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: CheckHandler): void {
    this.checkHandler = handler;
  }
  /** Asks for a permission as a page would; resolves with the answer. */
  request(permission: string, requestingUrl: string): Promise<boolean> {
    return new Promise((resolve) => {
      if (!this.requestHandler) return resolve(true);
      this.requestHandler(null, permission, resolve, { requestingUrl });
    });
  }
}

export interface FakeElectron extends ElectronApi {
  app: FakeApp;
  dialog: FakeDialog;
  ipcMain: FakeIpcMain;
  protocol: FakeProtocol;
  session: FakeSession;
  windows: FakeWindow[];
  opened: string[];
  menus: null[];
}

export function fakeElectron(): FakeElectron {
  const app = new FakeApp();
  const session = new FakeSession();
  const windows: FakeWindow[] = [];
  const opened: string[] = [];
  const menus: null[] = [];
  return {
    app,
    dialog: new FakeDialog(),
    ipcMain: new FakeIpcMain(),
    protocol: new FakeProtocol(),
    session,
    windows,
    opened,
    menus,
    shell: {
      openExternal: async (url) => {
        opened.push(url);
      },
    },
    Menu: { setApplicationMenu: (menu) => void menus.push(menu) },
    defaultSession: () => session,
    createWindow: (options) => {
      const w = new FakeWindow(options);
      windows.push(w);
      // Electron emits this for every new web contents.
      app.emit('web-contents-created', new FakeEvent(), w.webContents);
      return w;
    },
  };
}

/** The event our own window's main frame would send. */
export function eventFrom(contents: FakeWebContents, frame: FakeFrame | null = contents.mainFrame): InvokeEventLike {
  return { sender: contents, senderFrame: frame };
}
